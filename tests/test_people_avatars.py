"""Avatars: every bad file is refused with a message and the old avatar kept; a good
one is re-encoded into fresh files with nothing of the upload's bytes left."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.views.static import serve
from PIL import Image

from accounts import avatars, services
from accounts.models import Profile
from tests.factories import make_thread
from tests.people_helpers import english, image_bytes, people_defaults  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("people_defaults")]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def upload(data: bytes, name: str = "a.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def save(user, data: bytes, name: str = "a.png", **kwargs):
    return services.save_profile(user=user, bio="", signature="",
                                 avatar=upload(data, name), **kwargs)


def refused(user, data: bytes, name: str = "a.png") -> str:
    with pytest.raises(ValidationError) as info:
        save(user, data, name)
    return info.value.code


# --- bad files, made here ---------------------------------------------------------------

def png_claiming(width: int, height: int) -> bytes:
    """A small real PNG whose header claims another size (a decompression bomb's shape)."""
    data = bytearray(image_bytes("PNG", size=(8, 8)))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr:ihdr + 17]))
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def gif_with_frames(count: int) -> bytes:
    frames = [Image.new("RGB", (4, 4), (i % 256, i * 7 % 256, i * 13 % 256))
              for i in range(count)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=20)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)}
    return image_bytes("JPEG", size=(300, 200), exif=exif.tobytes())


def test_an_upload_over_5_mb_is_refused(member):
    assert refused(member, b"\x89PNG" + b"\0" * (5 * 1024 * 1024)) == "too_large"


def test_a_pixel_bomb_is_refused_on_its_header(member):
    assert refused(member, png_claiming(6_000, 6_000)) == "too_many_pixels"


def test_a_bomb_beyond_pillows_own_limit_is_refused_too(member):
    assert refused(member, png_claiming(200_000, 200_000)) == "too_many_pixels"


def test_an_animation_with_too_many_frames_is_refused(member):
    assert refused(member, gif_with_frames(avatars.MAX_FRAMES + 5), "a.gif") == "too_many_frames"


def test_a_truncated_jpeg_is_refused(member):
    data = image_bytes("JPEG", size=(400, 300))
    assert refused(member, data[: len(data) // 2], "a.jpg") == "corrupt"


def test_a_corrupt_png_is_refused(member):
    data = bytearray(image_bytes("PNG", size=(200, 200), color=(1, 2, 3)))
    start = data.index(b"IDAT") + 8
    data[start:start + 40] = b"\xff" * 40
    assert refused(member, bytes(data)) == "corrupt"


def test_svg_is_refused(member):
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert refused(member, svg, "a.svg") == "markup"


def test_html_renamed_jpg_is_refused(member):
    assert refused(member, b"\n<html><script>alert(1)</script></html>", "photo.jpg") == "markup"


def test_a_format_outside_the_allowlist_is_refused(member):
    assert refused(member, image_bytes("BMP"), "a.bmp") == "not_an_image"
    assert refused(member, b"\x00\x01\x02 not an image at all", "a.png") == "not_an_image"


def test_an_empty_file_is_refused(member):
    assert refused(member, b"") == "empty"


def test_a_refused_upload_keeps_the_old_avatar(member, media):
    save(member, image_bytes())
    before = Profile.objects.get(user=member).avatar.name
    files = sorted(p.name for p in media.rglob("*.*"))
    refused(member, b"<svg/>")
    assert Profile.objects.get(user=member).avatar.name == before
    assert sorted(p.name for p in media.rglob("*.*")) == files


# --- good files -------------------------------------------------------------------------

def test_a_good_image_becomes_three_fresh_squares(member, media):
    profile = save(member, image_bytes("PNG", size=(300, 200)))
    name = profile.avatar.name
    assert re.fullmatch(r"avatars/[0-9a-f]{2}/[0-9a-f]{32}-200\.(webp|png)", name)
    for size in (48, 120, 200):
        path = media / avatars.sibling_names(name)[avatars.SIZES.index(size)]
        with Image.open(path) as image:
            assert image.size == (size, size)
            assert image.format in {"WEBP", "PNG"}


def test_exif_gps_and_appended_payloads_do_not_survive(member, media):
    data = jpeg_with_gps() + b"<script>APPENDED-PAYLOAD</script>"
    assert b"SpyCam" in data
    profile = save(member, data, "photo.jpg")
    for path in avatars.sibling_names(profile.avatar.name):
        stored = (media / path).read_bytes()
        assert b"SpyCam" not in stored and b"APPENDED-PAYLOAD" not in stored
        with Image.open(media / path) as image:
            assert not image.getexif()


def test_an_animated_gif_within_the_caps_is_accepted(member):
    assert save(member, gif_with_frames(10), "a.gif").avatar


def test_replacing_an_avatar_deletes_the_old_files(django_capture_on_commit_callbacks,
                                                   member, media):
    first = save(member, image_bytes()).avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        second = save(member, image_bytes(color=(0, 0, 255))).avatar.name
    assert first != second
    assert not (media / first).exists()
    assert (media / second).exists()


def test_served_files_carry_the_type_of_the_format_we_wrote(rf, member, media):
    name = save(member, image_bytes()).avatar.name
    response = serve(rf.get("/media/" + name), name, document_root=str(media))
    assert response["Content-Type"] == ("image/webp" if name.endswith(".webp") else "image/png")


def test_without_an_avatar_cards_show_an_initial_badge(client_for, thread, author):
    page = client_for().get(thread.get_absolute_url()).content.decode()
    assert f'<span class="initial">{author.username[0].upper()}</span>' in page


# --- the settings form ------------------------------------------------------------------

def test_a_bad_avatar_in_the_form_keeps_the_typed_text(client_for, member):
    client = english(client_for(member))
    response = client.post(f"/u/{member.username}/edit/", {
        "bio": "我的新简介", "signature": "新签名",
        "avatar": upload(b"<html>hi</html>", "me.jpg"),
    })
    page = response.content.decode()
    assert response.status_code == 400
    assert "SVG and HTML files are not accepted" in page
    assert "我的新简介" in page and "新签名" in page
    assert Profile.objects.get(user=member).bio == ""


def test_an_oversized_upload_is_stopped_at_the_door_and_the_text_kept(client_for, member):
    client = english(client_for(member))
    big = upload(b"\0" * (avatars.MAX_BYTES + 1), "big.png")
    response = client.post(f"/u/{member.username}/edit/", {"bio": "保留我", "avatar": big})
    page = response.content.decode()
    assert response.status_code == 400
    assert "larger than 5 MB" in page and "保留我" in page


def test_the_form_saves_bio_signature_avatar_and_email_choices(client_for, member):
    client = client_for(member)
    response = client.post(f"/u/{member.username}/edit/", {
        "bio": "**公文**写作爱好者 [hide]秘密[/hide]", "signature": "天天向上",
        "email_kinds": ["reply", "mention"], "avatar": upload(image_bytes()),
    })
    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    assert "<strong>公文</strong>" in profile.bio_html and "秘密" not in profile.bio_html
    assert profile.avatar and profile.signature_html
    assert set(profile.email_muted) == {"quote", "follow", "moderation"}


def test_only_the_member_edits_their_profile(client_for, member, author):
    assert client_for(author).get(f"/u/{member.username}/edit/").status_code == 403
    assert client_for().get(f"/u/{member.username}/edit/").status_code == 302


def test_a_new_avatar_refreshes_the_cached_sidebar_and_leaderboards(
        django_capture_on_commit_callbacks, client_for, board, member):
    from accounts import ranking

    services.adjust_credits(user=member, amount=5, actor=None)
    thread = make_thread(board=board)
    client_for().get(thread.get_absolute_url())  # caches the sidebar without the avatar
    ranking.leaderboard("credits", "all")
    with django_capture_on_commit_callbacks(execute=True):
        name = save(member, image_bytes()).avatar.name
    small = avatars.sibling_names(name)[2]
    assert small in client_for().get(thread.get_absolute_url()).content.decode()
    assert small in ranking.leaderboard("credits", "all")[0].avatar


def test_the_settings_form_still_checks_csrf(member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(f"/u/{member.username}/edit/", {"bio": "伪造的请求"})
    assert response.status_code == 403
    assert Profile.objects.get(user=member).bio == ""
