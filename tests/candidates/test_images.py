"""The image encoder: its network, both checkpoint kinds, distillation, the relay's embedder, the post tower's input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sqlalchemy import select
from sqlalchemy.engine import Engine

from candidates.images.distill import DistillConfig, fit, mean_cosine
from candidates.images.encoder import EncoderUnavailable, ImageEncoderConfig, TorchEncoder, load_encoder, save_cnn
from candidates.images.media import ImageEmbedder, post_image_vectors
from candidates.images.network import ImageNet, ImageNetConfig
from candidates.images.pixels import pixel_batch
from candidates.two_tower.embed import embed_new_posts
from candidates.two_tower.model import TwoTower, TwoTowerConfig
from social_core import accounts, uploads
from social_core.db import make_sessionmaker
from social_core.media import LocalStore
from social_core.models import Media
from social_core.posts import NewPost, create_post
from social_core.relay import Relay
from training.simulation.images import render

SMALL = ImageNetConfig(dim=8, side=32, width=8)


def pictures(hues: list[float], seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [render(rng, hue, (120, 150)) for hue in hues]


def cnn(tmp_path: Path, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    folder = tmp_path / "models" / "image_encoder" / "v1"
    save_cnn(ImageNet(SMALL).eval(), folder)
    return folder


def test_the_cnn_gives_one_unit_vector_per_picture_the_same_every_time(tmp_path: Path) -> None:
    encoder = load_encoder(ImageEncoderConfig(type="cnn", path=cnn(tmp_path)))
    images = pictures([0.1, 0.5, 0.9])
    vectors = encoder.encode(images)
    assert vectors.shape == (3, 8) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    again = load_encoder(ImageEncoderConfig(type="cnn", path=cnn(tmp_path / "other", seed=1)))
    assert np.array_equal(encoder.encode(images), vectors)  # deterministic
    assert not np.allclose(again.encode(images), vectors)  # and the weights matter
    assert encoder.encode([]).shape == (0, 8) and encoder.version == "cnn:v1"


def test_a_pretrained_exported_checkpoint_loads_from_a_local_file(tmp_path: Path) -> None:
    """A tiny randomly initialised stand-in for an open encoder, saved the way one would be shipped."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, stride=2), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 6)
    )
    batch = torch.export.Dim("batch", min=1, max=1024)
    path = tmp_path / "open_encoder.pt2"
    torch.export.save(
        torch.export.export(module.eval(), (torch.zeros(2, 3, 24, 24),), dynamic_shapes=({0: batch},)), path
    )
    encoder = load_encoder(ImageEncoderConfig(type="export", path=path, side=24))
    assert encoder.dim == 6 and encoder.encode(pictures([0.2, 0.7])).shape == (2, 6)


def test_a_missing_or_corrupt_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailable, match="missing"):
        load_encoder(ImageEncoderConfig(type="export", path=tmp_path / "nothing.pt2"))
    corrupt = tmp_path / "corrupt.pt2"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(EncoderUnavailable, match="cannot be loaded"):
        load_encoder(ImageEncoderConfig(type="export", path=corrupt))
    folder = cnn(tmp_path)
    (folder / "image_net.pt").write_bytes(b"\x00" * 10)
    with pytest.raises(EncoderUnavailable, match="cannot be loaded"):
        load_encoder(ImageEncoderConfig(type="cnn", path=folder))
    with pytest.raises(EncoderUnavailable, match="unknown image encoder type"):
        load_encoder(ImageEncoderConfig(type="clip", path=folder))


def test_distillation_brings_the_pictures_to_their_targets() -> None:
    """Pictures of four hues, each hue with its own target direction: the holdout (other pictures of the
    same hues) ends up far closer to its targets than the untrained network."""
    hues = [0.0, 0.25, 0.5, 0.75] * 6
    targets = torch.nn.functional.normalize(torch.randn(4, 8, generator=torch.Generator().manual_seed(0)), dim=1)
    labels = torch.tensor([i % 4 for i in range(len(hues))])
    data = (pixel_batch(pictures(hues), SMALL.side), targets[labels], torch.ones(len(hues)))
    holdout = (pixel_batch(pictures(hues[:8], seed=1), SMALL.side), targets[labels[:8]], torch.ones(8))
    torch.manual_seed(0)
    network = ImageNet(SMALL)
    before = mean_cosine(network, *holdout)
    result = fit(network, data, holdout, DistillConfig(epochs=40, batch_size=8, patience=40))
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    assert result.val_cosine > before + 0.5 and result.val_cosine == pytest.approx(mean_cosine(network, *holdout))


def test_the_relay_embeds_each_upload_once_an_encoder_serves(engine: Engine, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "media", fsync=False)
    encoder = TorchEncoder(ImageNet(SMALL).eval(), "cnn:test", SMALL.side)
    served: list[TorchEncoder] = []  # none before the first training
    relay = Relay(make_sessionmaker(engine), [ImageEmbedder(lambda: served[0] if served else None, store)])
    posts, media = [], []
    with make_sessionmaker(engine)() as session:
        alice = accounts.signup(session, "alice", "alice@example.com", "password123")
        for hue in (0.3, 0.6):
            media.append(uploads.upload(session, store, alice, pictures([hue])[0], uploads.UploadLimits(avif=False)))
            posts.append(create_post(session, alice, NewPost(caption="hello", media_ids=[media[-1].id])).id)
            assert relay.drain() >= 2  # media_uploaded and post_created are done either way
            served.append(encoder)
    with engine.connect() as conn:
        vectors = post_image_vectors(conn, posts, "cnn:test")
        assert post_image_vectors(conn, posts, "cnn:another") == {}
        stored = conn.execute(select(Media.id, Media.embedding_model).order_by(Media.id)).all()
    assert stored == [(media[0].id, None), (media[1].id, "cnn:test")]  # the first waits for the job's backfill
    expected = encoder.encode([store.get(uploads.variant_key(media[1], "small", "jpeg"))])[0]
    assert list(vectors) == [posts[1]] and np.allclose(vectors[posts[1]], expected, atol=1e-6)


def test_the_post_tower_places_a_post_by_its_picture() -> None:
    torch.manual_seed(0)
    model = TwoTower.build(TwoTowerConfig(dim=8, embedding_dim=8, hidden=16, image_dim=4, image_model="cnn:v1"))
    row = {"id": 1, "author_id": 2, "caption": "same words", "media_type": "image"}
    a, b = np.eye(4, dtype=np.float32)[:2]
    vectors = embed_new_posts(model, [row | {"image": a}, row | {"image": b}, row | {"image": None}, row])
    assert not np.allclose(vectors[0], vectors[1])  # only the picture differs
    assert np.allclose(vectors[2], vectors[3])  # no picture: zeros, the same as a text post
    blind = TwoTower.build(TwoTowerConfig(dim=8, embedding_dim=8, hidden=16))
    plain = embed_new_posts(blind, [row | {"image": a}, row | {"image": b}])
    assert np.allclose(plain[0], plain[1])  # a tower that reads no pixels ignores them
