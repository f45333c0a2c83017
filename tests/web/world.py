"""The small world the browser tests run in, written through the public API of a real server.

Three authors (bob, carol, dan) that the viewers follow, 8 posts each, so a feed spans pages; two
accounts nobody follows (erin, frank) whose posts are liked, so explore and the popular source have
something; stories by bob and carol; and one viewer per test that changes what it sees (a feed that was
served is marked seen, a story viewed is seen), so tests do not depend on each other's order.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field

import httpx
from PIL import Image, ImageDraw

PASSWORD = "password123"
FOLLOWED = ("bob", "carol", "dan")
STRANGERS = ("erin", "frank")
VIEWERS = ("alice", "scroller", "liker", "explorer", "watcher", "tuner", "control", "newbie", "tourist")
POSTS_EACH = 8


def photo(seed: int, size: tuple[int, int] = (240, 300)) -> bytes:
    """A small JPEG scene, different per seed: a sky, a sun and two hills (so pictures and blurhashes differ)."""
    rng = random.Random(seed)
    width, height = size
    sky = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(2)]
    image = Image.linear_gradient("L").resize(size)
    image = Image.merge(
        "RGB", [image.point(lambda v, a=a, b=b: a + (b - a) * v // 255) for a, b in zip(*sky, strict=True)]
    )
    draw = ImageDraw.Draw(image)
    x, y, r = rng.randrange(width), rng.randrange(height // 2), rng.randrange(18, 50)
    draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 236, 160))
    for shade in (0.55, 0.35):
        ground = tuple(
            int(c * shade) for c in (rng.randrange(60, 200), rng.randrange(120, 230), rng.randrange(60, 160))
        )
        peak = (rng.randrange(width), rng.randrange(height // 2, height * 3 // 4))
        draw.polygon(
            [
                (0, height),
                (0, rng.randrange(peak[1], height)),
                peak,
                (width, rng.randrange(peak[1], height)),
                (width, height),
            ],
            fill=ground,
        )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def noise_png(nbytes: int) -> bytes:
    """A valid PNG of at least `nbytes` (random pixels do not compress)."""
    side = int((nbytes / 3) ** 0.5) + 8
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), random.Random(0).randbytes(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class World:
    base: str
    tokens: dict[str, str] = field(default_factory=dict)
    posts: dict[str, list[str]] = field(default_factory=dict)

    def client(self, username: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[username]}"} if username else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def signup(self, http: httpx.Client, username: str) -> None:
        body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        assert http.post("/v1/auth/signup", json=body).status_code == 201
        token = http.post("/v1/auth/token", data={"username": username, "password": PASSWORD})
        self.tokens[username] = token.json()["access_token"]

    def upload(self, username: str, seed: int) -> str:
        with self.client(username) as http:
            response = http.post("/v1/media", files={"file": ("photo.jpg", photo(seed), "image/jpeg")})
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

    def post(self, username: str, caption: str, seed: int) -> str:
        with self.client(username) as http:
            body = {"caption": caption, "media_ids": [self.upload(username, seed)]}
            response = http.post("/v1/posts", json=body)
            assert response.status_code == 201, response.text
            post_id = str(response.json()["id"])
        self.posts.setdefault(username, []).append(post_id)
        return post_id


def seed_world(base: str) -> World:
    world = World(base)
    with world.client() as http:
        for name in FOLLOWED + STRANGERS + VIEWERS:
            world.signup(http, name)
    for viewer in VIEWERS:
        with world.client(viewer) as http:
            for author in FOLLOWED:
                assert http.post(f"/v1/users/{author}/follow").status_code == 200
    seed = 0
    for i in range(POSTS_EACH):
        for author in FOLLOWED:
            seed += 1
            world.post(author, f"{author} #{i} at the #lake with @{FOLLOWED[(i + 1) % 3]}", seed)
    for author in STRANGERS:
        for i in range(4):
            seed += 1
            world.post(author, f"{author} explores #{i}", seed)
    with world.client("frank") as frank, world.client("erin") as erin:  # popular, yet from strangers
        for post_id in world.posts["erin"]:
            frank.post(f"/v1/posts/{post_id}/like")
        for post_id in world.posts["frank"]:
            erin.post(f"/v1/posts/{post_id}/like")
    for author in ("bob", "carol"):
        with world.client(author) as http:
            seed += 1
            response = http.post("/v1/stories", json={"media_id": world.upload(author, seed)})
            assert response.status_code == 201, response.text
    return world
