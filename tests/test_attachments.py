"""Images in posts: accepted only as real images, served only through the post's rules."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from forum import attachments, services
from forum.models import Attachment, Post
from tests.factories import make_reply, make_thread, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": str(tmp_path), "base_url": None}},
    }


def image_file(fmt="PNG", size=(40, 30), name=None, exif=None) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    ext = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}[fmt]
    return SimpleUploadedFile(name or f"photo.{ext}", buffer.getvalue(),
                              content_type=f"image/{ext}")


def _post_with_upload(client, url, body, *files, **extra):
    return client.post(url, {"body": body, "images": list(files), **extra})


def test_image_uploaded_with_a_reply_is_placed_and_served(client_for, thread):
    member = make_user()
    response = _post_with_upload(client_for(member), f"/t/{thread.pk}/reply/", "看图", image_file())
    assert response.status_code == 302
    post = Post.objects.get(thread=thread, author=member)
    attachment = Attachment.objects.get(post=post)
    assert f"[attach]{attachment.pk}[/attach]" in post.body
    assert f'src="/a/{attachment.pk}/"' in post.html_public
    served = client_for(None).get(f"/a/{attachment.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert "private" in served["Cache-Control"]
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (40, 30)


def test_stored_file_gets_a_random_name_and_no_exif(thread):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    upload = image_file("JPEG", name="我的 GPS 照片.jpg", exif=exif.tobytes())
    attachment = attachments.upload(uploader=make_user(), file=upload)
    assert "GPS" not in attachment.file.name and attachment.file.name.endswith(".jpg")
    with attachment.file.open("rb") as handle:
        assert not Image.open(handle).getexif()


@pytest.mark.parametrize("name,content", [
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("page.jpg", b"<html><script>alert(1)</script></html>"),
    ("empty.png", b""),
])
def test_non_images_are_refused_with_the_text_kept(client_for, thread, name, content):
    member = make_user()
    bad = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = _post_with_upload(client_for(member), f"/t/{thread.pk}/reply/", "我的回复正文", bad)
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的回复正文" in html
    assert "WebP" in html  # the refusal names the accepted formats
    assert not Post.objects.filter(thread=thread, author=member).exists()
    assert not Attachment.objects.exists()


def test_truncated_image_is_refused(thread):
    data = image_file("PNG", size=(300, 300)).read()
    truncated = SimpleUploadedFile("cut.png", data[: len(data) // 2])
    with pytest.raises(ValidationError) as info, translation.override("en"):
        attachments.upload(uploader=make_user(), file=truncated)
    assert "damaged" in str(info.value) or "image" in str(info.value)


def test_too_many_pixels_is_refused(thread):
    huge = image_file("PNG", size=(8000, 6000))
    with pytest.raises(ValidationError) as info, translation.override("en"):
        attachments.upload(uploader=make_user(), file=huge)
    assert "pixels" in str(info.value)


def test_image_in_hidden_block_follows_the_block_rule(client_for, board, author, moderator):
    picture = attachments.upload(uploader=author, file=image_file())
    thread = make_thread(board=board, author=author,
                         body=f"公开\n\n[hide]\n[attach]{picture.pk}[/attach]\n[/hide]")
    url = f"/a/{picture.pk}/"
    member, replier = make_user(), make_user()
    make_reply(thread=thread, author=replier)
    assert client_for(None).get(url).status_code == 404
    assert client_for(member).get(url).status_code == 404
    assert client_for(replier).get(url).status_code == 200
    assert client_for(author).get(url).status_code == 200
    assert client_for(moderator).get(url).status_code == 200
    # the thread page itself shows no image URL to those who may not see the block
    assert url not in client_for(member).get(f"/t/{thread.pk}/").content.decode()


def test_unposted_upload_is_visible_only_to_its_uploader(client_for):
    uploader = make_user()
    picture = attachments.upload(uploader=uploader, file=image_file())
    assert client_for(uploader).get(f"/a/{picture.pk}/").status_code == 200
    assert client_for(make_user()).get(f"/a/{picture.pk}/").status_code == 404
    assert client_for(None).get(f"/a/{picture.pk}/").status_code == 404


def test_others_cannot_adopt_or_unhide_someone_elses_image(client_for, board, author):
    picture = attachments.upload(uploader=author, file=image_file())
    secret = make_thread(board=board, author=author,
                         body=f"[hide][attach]{picture.pk}[/attach][/hide]")
    thief = make_user()
    make_thread(board=board, author=thief, body=f"偷看 [attach]{picture.pk}[/attach]")
    picture.refresh_from_db()
    assert picture.post.thread_id == secret.pk  # still belongs to the hidden post
    assert client_for(thief).get(f"/a/{picture.pk}/").status_code == 404


def test_deleted_post_hides_its_images(client_for, thread, staff):
    member = make_user()
    picture = attachments.upload(uploader=member, file=image_file())
    reply = services.create_reply(thread=thread, author=member,
                                  body=f"[attach]{picture.pk}[/attach]")
    assert client_for(None).get(f"/a/{picture.pk}/").status_code == 200
    services.delete_post(post=reply, actor=staff)
    assert client_for(None).get(f"/a/{picture.pk}/").status_code == 404
    assert client_for(staff).get(f"/a/{picture.pk}/").status_code == 200


def test_editor_upload_endpoint_answers_with_markup(client_for):
    member = make_user()
    response = client_for(member).post("/a/upload/", {"file": image_file("GIF")})
    assert response.status_code == 200
    data = response.json()
    assert data["markup"] == f"[attach]{data['id']}[/attach]"
    refused = client_for(member).post(
        "/a/upload/", {"file": SimpleUploadedFile("x.jpg", b"not an image")})
    assert refused.status_code == 400 and refused.json()["error"]
    assert client_for(None).post("/a/upload/", {"file": image_file()}).status_code == 302


def test_new_thread_with_image_and_preview(client_for, board):
    member = make_user()
    client = client_for(member)
    preview = _post_with_upload(client, f"/b/{board.slug}/new/", "正文", image_file(),
                                title="带图的主题", preview="1")
    assert preview.status_code == 200
    picture = Attachment.objects.get(uploader=member)
    html = preview.content.decode()
    assert f"[attach]{picture.pk}[/attach]" in html  # kept in the text for the real submit
    assert f'src="/a/{picture.pk}/"' in html
    response = client.post(f"/b/{board.slug}/new/", {
        "title": "带图的主题", "body": f"正文\n\n[attach]{picture.pk}[/attach]"})
    assert response.status_code == 302
    picture.refresh_from_db()
    assert picture.post is not None and picture.post.floor == 1
