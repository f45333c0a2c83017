"""The web client at /app/, driven in Chromium the way people use it.

Every wait is on a condition (Playwright's `expect`, generous timeouts for a slow shared machine), never a
fixed sleep. Each test acts as its own viewer of the seeded world (tests/web/world.py). With
PIXELRANK_SCREENSHOTS=DIR the tests also save the README's screenshots there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import DESKTOP, MAX_IMAGE_BYTES, PHONE
from tests.web.world import FOLLOWED, PASSWORD, STRANGERS, World, noise_png, photo

WAIT_MS = 20_000
FEED_PAGE = 10  # serving/web/js/feed.js PAGE_SIZE
SHOTS = os.environ.get("PIXELRANK_SCREENSHOTS")
expect.set_options(timeout=WAIT_MS)


# Every image in view has loaded (lazy ones below the fold are left alone): screenshots show pictures.
IMAGES_IN_VIEW = """() => [...document.querySelectorAll(".media img")]
  .filter((img) => img.getBoundingClientRect().top < innerHeight)
  .every((img) => img.complete && img.naturalWidth > 0)"""


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.wait_for_function(IMAGES_IN_VIEW, timeout=WAIT_MS)
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/app/")
    form = page.get_by_role("form", name="Log in")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Log in").click()


def posts(page: Page) -> list[str]:
    return page.locator("article.post").evaluate_all("nodes => nodes.map(n => n.dataset.id)")


def test_log_in_with_a_wrong_then_the_right_password(page: Page, world: World) -> None:
    log_in(page, world.base, "alice", "wrong password")
    expect(page.get_by_role("alert")).to_contain_text("incorrect")
    page.get_by_role("form", name="Log in").get_by_label("Password").fill(PASSWORD)
    page.get_by_role("form", name="Log in").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("article.post").first).to_be_visible()


def test_the_feed_scrolls_over_two_pages_without_a_duplicate(page: Page, world: World) -> None:
    log_in(page, world.base, "scroller")
    expect(page.locator("article.post")).to_have_count(FEED_PAGE)
    expect(page.locator(".banner.degraded")).to_be_visible()  # no trained model yet: the heuristic serves
    first = page.locator("article.post").first
    expect(first.locator(".why .badge").first).to_be_visible()
    expect(first.locator(".media img")).to_have_attribute("srcset", re.compile(r"\d+w, "))
    shot(page, "feed-desktop")
    page.locator(".list-footer").scroll_into_view_if_needed()
    expect(page.locator("article.post").nth(FEED_PAGE)).to_be_visible()
    page.locator(".list-footer").scroll_into_view_if_needed()
    ids = posts(page)
    assert len(ids) > FEED_PAGE
    assert len(ids) == len(set(ids))


def test_a_like_changes_the_count_and_survives_a_reload(page: Page, world: World) -> None:
    log_in(page, world.base, "liker")
    card = page.locator("article.post").first
    expect(card).to_be_visible()
    post_id = card.get_attribute("data-id")
    before = int(card.locator(".likes").inner_text().split()[0])
    card.get_by_role("button", name="Like").click()
    expect(card.locator(".likes")).to_have_text(f"{before + 1} like" + ("" if before == 0 else "s"))
    expect(card.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    page.goto(f"{world.base}/app/#/p/{post_id}")
    page.reload()
    again = page.locator(f'article.post[data-id="{post_id}"]')
    expect(again.locator(".likes")).to_have_text(re.compile(rf"^{before + 1} like"))
    expect(again.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")


def test_explore_never_shows_a_followed_author_and_opens_a_post_in_place(page: Page, world: World) -> None:
    log_in(page, world.base, "explorer")
    page.get_by_role("link", name="Explore").click()
    tiles = page.locator(".grid .tile")
    expect(tiles.first).to_be_visible()
    expect(page.locator(".list-status")).to_contain_text("caught up")
    authors = set(tiles.evaluate_all("nodes => nodes.map(n => n.dataset.author)"))
    assert authors and not authors & set(FOLLOWED)
    shot(page, "explore-desktop")
    tiles.first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("article.post")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(tiles.first).to_be_visible()  # still the grid, where it was


def tray_users(page: Page) -> list[str]:
    return page.locator("button.tray-item").evaluate_all("nodes => nodes.map(n => n.dataset.user)")


def test_watching_a_story_marks_it_seen_and_moves_its_author_back(page: Page, world: World) -> None:
    log_in(page, world.base, "watcher")
    unseen = page.locator("button.tray-item:not(.seen)")
    expect(unseen).to_have_count(2)
    first = tray_users(page)[0]
    unseen.first.click()
    viewer = page.get_by_role("dialog", name="Stories")
    expect(viewer.locator(".story-media .media")).to_be_visible()
    expect(viewer.locator(".bar.current")).to_have_count(1)
    shot(page, "story-desktop")
    page.keyboard.press("Escape")
    expect(page.locator(f'button.tray-item.seen[data-user="{first}"]')).to_be_visible()
    assert tray_users(page)[-1] == first
    expect(page.locator("button.tray-item:not(.seen)")).to_have_count(1)


def test_two_people_exchange_a_message_live_with_its_read_receipt(browser: Browser, world: World) -> None:
    alice_context, bob_context = browser.new_context(viewport=DESKTOP), browser.new_context(viewport=DESKTOP)
    try:
        alice, bob = alice_context.new_page(), bob_context.new_page()
        log_in(alice, world.base, "alice")
        log_in(bob, world.base, "bob")
        expect(bob.get_by_role("navigation", name="Main")).to_be_visible()
        alice.goto(f"{world.base}/app/#/u/bob")
        alice.get_by_role("button", name="Message").click()
        expect(alice.locator(".thread-header h1")).to_have_text("@bob")
        alice.get_by_label("Message", exact=True).fill("hello bob")
        alice.get_by_role("button", name="Send").click()
        expect(alice.locator(".message.mine")).to_have_text(re.compile("hello bob"))

        bob.get_by_role("link", name="Messages").click()
        bob.get_by_role("link", name="Requests").click()  # bob does not follow alice: a message request
        row = bob.locator(".thread-row", has_text="@alice")
        expect(row.locator(".unread-count")).to_have_text("1")
        row.click()
        expect(bob.locator(".message")).to_have_text([re.compile("hello bob")])
        expect(alice.locator(".seen-receipt")).to_have_text("Seen")  # bob's receipt, live, no reload

        bob.get_by_label("Message", exact=True).fill("hi alice")
        bob.get_by_role("button", name="Send").click()
        expect(alice.locator(".message:not(.mine)")).to_have_text([re.compile("hi alice")])  # live
        expect(bob.locator(".seen-receipt")).to_have_text("Seen")
        shot(alice, "thread-desktop")
    finally:
        alice_context.close()
        bob_context.close()


def test_a_bad_upload_shows_the_api_error_and_posts_nothing(page: Page, world: World, tmp_path: Path) -> None:
    log_in(page, world.base, "newbie")
    page.get_by_role("link", name="New", exact=True).click()
    chooser = page.get_by_label("Choose a photo or video")
    share = page.get_by_role("button", name="Share post")
    chooser.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo at all"})
    expect(page.locator(".upload-status")).to_contain_text("Upload failed: ")
    expect(page.locator(".upload-status")).to_contain_text(re.compile("unsupported|not a", re.I))
    expect(share).to_be_disabled()
    big = tmp_path / "big.png"
    big.write_bytes(noise_png(MAX_IMAGE_BYTES + 50_000))
    chooser.set_input_files(str(big))
    expect(page.locator(".upload-status")).to_contain_text("the limit is")
    expect(share).to_be_disabled()
    page.goto(f"{world.base}/app/#/u/newbie")
    expect(page.locator(".profile .stats")).to_contain_text("0 posts")


def first_author(page: Page) -> str:
    card = page.locator("article.post").first
    expect(card).to_be_visible()
    return card.get_attribute("data-author") or ""


def test_moving_a_ranking_slider_changes_the_next_feed(page: Page, world: World) -> None:
    log_in(page, world.base, "control")
    assert first_author(page) in FOLLOWED  # as ranked: the accounts you follow lead
    page.get_by_role("button", name="Log out").click()

    log_in(page, world.base, "tuner")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto(f"{world.base}/app/#/tune")
    friends = page.get_by_label("Accounts you follow")
    friends.focus()
    page.keyboard.press("Home")  # all the way down: 0
    expect(page.locator(".tune-status")).to_contain_text("Saved")
    page.get_by_label("Popular right now").focus()
    page.keyboard.press("End")  # all the way up: 2
    expect(page.locator(".tune-status")).to_contain_text("next feed load is re-ranked")
    expect(friends).to_have_value("0")
    page.get_by_role("link", name="Home").click()
    expect(page.locator(".banner.tuned")).to_contain_text("Re-ranked")
    assert first_author(page) in STRANGERS


def test_a_tour_of_the_other_screens_without_a_script_error(page: Page, world: World) -> None:
    """Comment, see less, share, follow, edit a bio, post a photo and a story: each works, nothing throws."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, world.base, "tourist")
    card = page.locator("article.post").first
    card.get_by_role("button", name="Comment").click()
    card.get_by_label("Add a comment").fill("lovely light")
    card.get_by_label("Add a comment").press("Enter")
    expect(card.locator("li.comment")).to_contain_text(["lovely light"])
    expect(card.locator(".comment-count")).to_have_text("1 comment")
    expect(card.locator("a.hashtag", has_text="#lake")).to_have_attribute("href", "#/tag/lake")
    expect(card.locator("a.mention")).to_have_attribute("href", re.compile(r"^#/u/(bob|carol|dan)$"))
    second = page.locator("article.post").nth(1)
    second.get_by_role("button", name="See less").click()
    expect(second).to_contain_text("You will see less from")
    card.get_by_role("button", name="Share").click()
    page.get_by_role("dialog").get_by_label("Send to username").fill("erin")
    page.get_by_role("dialog").get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("dialog")).to_contain_text("Sent.")
    page.keyboard.press("Escape")

    page.goto(f"{world.base}/app/#/u/erin")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Following", exact=True)).to_be_visible()
    page.get_by_role("button", name="1 follower").click()
    expect(page.get_by_role("dialog").get_by_role("link", name="@tourist")).to_be_visible()
    page.keyboard.press("Escape")

    page.get_by_role("link", name="Me", exact=True).click()
    page.get_by_label("Bio").fill("Out with a camera.")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".profile .bio")).to_have_text("Out with a camera.")

    page.get_by_role("link", name="New", exact=True).click()
    page.get_by_label("Choose a photo or video").set_input_files(
        {"name": "lake.jpg", "mimeType": "image/jpeg", "buffer": photo(999)}
    )
    expect(page.locator(".upload-status")).to_contain_text("Uploaded.")
    page.get_by_label("Caption").fill("first light #lake")
    page.get_by_role("button", name="Share post").click()
    expect(page.locator("article.post .caption")).to_contain_text("first light")
    page.goto(f"{world.base}/app/#/new?story=1")
    page.get_by_label("Choose a photo or video").set_input_files(
        {"name": "story.jpg", "mimeType": "image/jpeg", "buffer": photo(1000)}
    )
    page.get_by_role("button", name="Add to your story").click()
    expect(page.locator('button.tray-item[data-user="tourist"]')).to_be_visible()
    assert errors == []


# The elements that stick out sideways (empty when the page has no horizontal scroll), to say which.
SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return [...document.querySelectorAll("body *")].filter((n) => n.getBoundingClientRect().right > width + 0.5)
    .slice(0, 5).map((n) => `${n.tagName.toLowerCase()}.${n.className}`);
}"""


def test_the_phone_viewport_has_no_horizontal_scroll(browser: Browser, world: World) -> None:
    with world.client("carol") as carol:  # a thread to show, with a message in it
        thread = carol.post("/v1/threads", json={"usernames": ["alice"]}).json()
        carol.post(f"/v1/threads/{thread['id']}/messages", json={"text": "Lunch by the lake?"})
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        log_in(page, world.base, "alice")
        expect(page.locator("article.post").first).to_be_visible()
        assert page.evaluate(SIDEWAYS) == []
        shot(page, "feed-phone")
        page.get_by_role("link", name="Explore").click()
        expect(page.locator(".grid .tile").first).to_be_visible()
        assert page.evaluate(SIDEWAYS) == []
        shot(page, "explore-phone")
        page.get_by_role("link", name="Home").click()
        expect(page.locator("button.tray-item")).to_have_count(2)
        first, second = tray_users(page)
        page.locator("button.tray-item").first.click()
        expect(page.locator(".story-media .media")).to_be_visible()
        assert page.evaluate(SIDEWAYS) == []
        shot(page, "story-phone")
        story = page.locator(".story-stage header .user")
        expect(story).to_have_text(f"@{first}")
        expect(story).to_have_text(f"@{second}")  # moved on by itself when the first one's time was up
        page.keyboard.press("Escape")
        page.goto(f"{world.base}/app/#/t/{thread['id']}")
        expect(page.locator(".message")).to_have_count(1)
        assert page.evaluate(SIDEWAYS) == []
        shot(page, "thread-phone")
        page.goto(f"{world.base}/app/#/tune")
        expect(page.get_by_label("Newest posts")).to_be_visible()
        assert page.evaluate(SIDEWAYS) == []
    finally:
        context.close()
