"""Reports (举报): one queue item per post, one entry per reporter; outcomes told to
every reporter; the report form keeps what was typed."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forum.models import ModerationLog, Report, ReportEntry
from forum.moderation import reports
from forum.moderation import services as mod
from tests.factories import fresh, make_board, make_moderator, make_reply, make_user, opening_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(thread):
    return make_reply(thread=thread, body="可疑的回复")


def test_members_reports_of_one_post_fold_into_one_queue_item(post):
    first, second = make_user(), make_user()
    a, new_a = reports.report_post(post=post, reporter=first, reason="spam")
    b, new_b = reports.report_post(post=post, reporter=second, reason="abuse", detail="骂人")
    assert a.pk == b.pk and new_a and new_b
    assert fresh(a).reporter_count == 2
    assert Report.objects.count() == 1 and ReportEntry.objects.count() == 2


def test_reporting_the_same_post_twice_changes_nothing(post):
    reporter = make_user()
    reports.report_post(post=post, reporter=reporter, reason="spam")
    report, new = reports.report_post(post=post, reporter=reporter, reason="abuse")
    assert not new
    assert fresh(report).reporter_count == 1 and ReportEntry.objects.count() == 1


def test_a_new_report_after_handling_opens_a_new_item(post, moderator):
    report, _new = reports.report_post(post=post, reporter=make_user(), reason="spam")
    reports.dismiss_report(report=report, actor=moderator)
    again, _new = reports.report_post(post=post, reporter=make_user(), reason="spam")
    assert again.pk != report.pk
    assert Report.objects.filter(status=Report.Status.OPEN).count() == 1


@pytest.mark.parametrize("case", ["own", "deleted", "other_without_detail", "bad_reason"])
def test_bad_reports_are_refused(post, moderator, case):
    reporter = make_user()
    kwargs = {"post": post, "reporter": reporter, "reason": "spam"}
    if case == "own":
        kwargs["reporter"] = post.author
    elif case == "deleted":
        mod.delete_post(post=post, actor=moderator)
        kwargs["post"] = fresh(post)
    elif case == "other_without_detail":
        kwargs["reason"] = "other"
    else:
        kwargs["reason"] = "nonsense"
    with pytest.raises((PermissionDenied, ValidationError)):
        reports.report_post(**kwargs)
    assert not Report.objects.exists()


def test_resolving_tells_every_reporter_and_is_logged(post, moderator,
                                                      django_capture_on_commit_callbacks):
    reporters = [make_user(), make_user()]
    for r in reporters:
        report, _new = reports.report_post(post=post, reporter=r, reason="spam")
    with django_capture_on_commit_callbacks(execute=True):
        reports.resolve_report(report=report, actor=moderator, note="已处理")
    for r in reporters:
        notice = r.notifications.get(data__action="report_resolved")
        assert notice.data["reason"] == "已处理"
    row = ModerationLog.objects.get(action="resolve_report")
    assert row.post_id == post.pk and row.after == {"status": "resolved"}


def test_dismissing_tells_the_reporters(post, moderator, django_capture_on_commit_callbacks):
    reporter = make_user()
    report, _new = reports.report_post(post=post, reporter=reporter, reason="flood")
    with django_capture_on_commit_callbacks(execute=True):
        reports.dismiss_report(report=report, actor=moderator)
    assert reporter.notifications.filter(data__action="report_dismissed").exists()
    assert not fresh(post).is_deleted


def test_moderator_of_another_board_cannot_handle_the_report(post):
    report, _new = reports.report_post(post=post, reporter=make_user(), reason="spam")
    with pytest.raises(PermissionDenied):
        reports.resolve_report(report=report, actor=make_moderator(make_board()))
    assert fresh(report).status == Report.Status.OPEN


def test_handling_twice_is_a_no_op(post, moderator):
    report, _new = reports.report_post(post=post, reporter=make_user(), reason="spam")
    assert reports.resolve_report(report=report, actor=moderator)
    assert not reports.dismiss_report(report=report, actor=moderator)
    assert fresh(report).status == Report.Status.RESOLVED


# --- the report form -------------------------------------------------------------------------

def test_report_link_is_shown_to_members_on_others_posts(client_for, thread, post, member):
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert reverse("forum:report", args=[post.pk]) in page
    own = client_for(post.author).get(thread.get_absolute_url()).content.decode()
    assert reverse("forum:report", args=[post.pk]) not in own
    guest = client_for(None).get(thread.get_absolute_url()).content.decode()
    assert reverse("forum:report", args=[post.pk]) not in guest


def test_report_form_files_a_report(client_for, post, member):
    client = client_for(member)
    url = reverse("forum:report", args=[post.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "abuse", "detail": "人身攻击"})
    assert response.status_code == 302
    entry = ReportEntry.objects.get()
    assert (entry.reporter_id, entry.reason, entry.detail) == (member.pk, "abuse", "人身攻击")


def test_report_form_without_detail_for_other_keeps_the_choice(client_for, post, member):
    response = client_for(member).post(reverse("forum:report", args=[post.pk]),
                                       {"reason": "other"})
    assert response.status_code == 400
    assert re.search(r'<input[^>]*value="other"[^>]*checked', response.content.decode())
    assert not ReportEntry.objects.exists()


def test_guest_is_sent_to_login_to_report(client, post):
    response = client.get(reverse("forum:report", args=[post.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reporting_a_post_of_a_deleted_thread_is_not_found(client_for, thread, moderator,
                                                            member):
    mod.delete_thread(thread=thread, actor=moderator)
    response = client_for(member).get(reverse("forum:report", args=[opening_post(thread).pk]))
    assert response.status_code == 404


def test_recount_rebuilds_the_reporter_count(post):
    from forum.recount import recount_all

    report, _new = reports.report_post(post=post, reporter=make_user(), reason="spam")
    reports.report_post(post=post, reporter=make_user(), reason="spam")
    assert recount_all()["report.reporter_count"] == 0
    Report.objects.filter(pk=report.pk).update(reporter_count=7)
    assert recount_all()["report.reporter_count"] == 1
    assert fresh(report).reporter_count == 2
