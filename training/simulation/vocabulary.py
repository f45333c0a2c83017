"""Words of the synthetic world: topic vocabularies, captions, comments and names.

Captions and comments are drawn from the vocabulary of the post's hidden topic, so the text the
platform sees carries signal about the topic without revealing it.
"""

from __future__ import annotations

import numpy as np

TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "travel": ("travel", "wanderlust", "passport", "roadtrip", "backpacking", "islandlife", "explore", "airport"),
    "food": ("food", "foodie", "brunch", "homecooking", "pasta", "streetfood", "dessert", "ramen"),
    "fitness": ("fitness", "gym", "workout", "running", "yoga", "legday", "marathon", "gains"),
    "fashion": ("fashion", "ootd", "streetstyle", "vintage", "sneakers", "lookbook", "denim", "outfit"),
    "pets": ("pets", "dogsofinstagram", "catsofinstagram", "puppy", "kitten", "goodboy", "adoptdontshop", "pawsome"),
    "art": ("art", "painting", "sketch", "illustration", "watercolor", "gallery", "artist", "drawing"),
    "music": ("music", "concert", "guitar", "vinyl", "livemusic", "festival", "producer", "playlist"),
    "nature": ("nature", "hiking", "mountains", "forest", "sunset", "wildflowers", "lake", "trail"),
    "tech": ("tech", "coding", "gadgets", "setup", "startup", "keyboard", "opensource", "devlife"),
    "sports": ("sports", "football", "basketball", "matchday", "tennis", "cycling", "goal", "stadium"),
    "cars": ("cars", "carsofinstagram", "classiccar", "supercar", "drift", "garage", "motorsport", "roadster"),
    "books": ("books", "bookstagram", "reading", "novel", "library", "bookclub", "poetry", "bookworm"),
    "gaming": ("gaming", "gamer", "esports", "retrogaming", "speedrun", "console", "pcgaming", "indiegame"),
    "beauty": ("beauty", "makeup", "skincare", "nails", "hairstyle", "glow", "lipstick", "selfcare"),
    "photography": (
        "photography",
        "filmphotography",
        "portrait",
        "streetphotography",
        "35mm",
        "goldenhour",
        "blackandwhite",
        "lens",
    ),
    "family": ("family", "parenting", "babies", "weekend", "grandma", "siblings", "familytime", "memories"),
    "coffee": ("coffee", "latteart", "espresso", "barista", "cafe", "coldbrew", "morningritual", "beans"),
    "architecture": ("architecture", "design", "interiors", "skyline", "brutalism", "bridge", "citylife", "facade"),
    "diy": ("diy", "crafts", "woodworking", "knitting", "pottery", "upcycle", "handmade", "workshop"),
    "comedy": ("comedy", "memes", "funny", "standup", "lol", "jokes", "relatable", "mondaymood"),
}

GENERIC_TAGS = ("instagood", "photooftheday", "love", "happy", "today", "vibes", "mood", "life")
OPENERS = (
    "Loving this",
    "Another day of",
    "Can't get enough of",
    "Weekend vibes:",
    "Throwback to",
    "Just me and",
    "Finally tried",
    "Obsessed with",
    "Nothing beats",
    "Small moments of",
)
COMMENTS = (
    "love this",
    "so good",
    "amazing shot",
    "need this",
    "wow",
    "this is everything",
    "goals",
    "beautiful",
    "where is this?",
    "omg yes",
    "so cool",
    "perfect",
)
FIRST_NAMES = (
    "ana",
    "ben",
    "chloe",
    "dev",
    "elif",
    "farid",
    "gia",
    "hugo",
    "ines",
    "jae",
    "kofi",
    "lena",
    "mateo",
    "nadia",
    "omar",
    "priya",
    "quinn",
    "rosa",
    "sami",
    "tara",
    "umar",
    "vera",
    "wei",
    "yuki",
)
LAST_NAMES = (
    "silva",
    "novak",
    "kim",
    "okafor",
    "garcia",
    "rossi",
    "muller",
    "tanaka",
    "haddad",
    "jensen",
    "kowalski",
    "nguyen",
    "osei",
    "petrov",
    "santos",
    "weber",
)


def topic_names(k: int) -> list[str]:
    """K topic names: the built-in ones first, then numbered extras."""
    names = list(TOPIC_WORDS)[:k]
    return names + [f"topic{i}" for i in range(len(names), k)]


def topic_words(k: int) -> list[tuple[str, ...]]:
    """The hashtag vocabulary of each of K topics (extra topics get numbered words)."""
    return [TOPIC_WORDS.get(name, tuple(f"{name}w{j}" for j in range(8))) for name in topic_names(k)]


def captions(
    rng: np.random.Generator, topics: np.ndarray, k: int, topic_share: float = 1.0, seed: int = 0
) -> list[str]:
    """One caption per post: an opener, a topic word, and 1-4 hashtags from the topic's vocabulary; all but
    ``topic_share`` of them (drawn from their own stream, so `rng` and the other captions do not change)
    use the words every topic shares instead."""
    vocab = topic_words(k)
    n = len(topics)
    openers = rng.integers(0, len(OPENERS), n)
    n_tags = rng.integers(1, 5, n)
    picks = rng.integers(0, 8, (n, 5))
    out = []
    for i in range(n):
        words = vocab[topics[i]]
        tags = " ".join(f"#{words[j]}" for j in dict.fromkeys(picks[i, 1 : 1 + n_tags[i]].tolist()))
        out.append(f"{OPENERS[openers[i]]} {words[picks[i, 0]]} {tags}")
    if topic_share < 1.0:
        plain = np.random.default_rng([seed, 0xCA7]).random(n) >= topic_share
        for i in np.flatnonzero(plain).tolist():
            tags = " ".join(f"#{GENERIC_TAGS[j]}" for j in dict.fromkeys(picks[i, 1 : 1 + n_tags[i]].tolist()))
            out[i] = f"{OPENERS[openers[i]]} {GENERIC_TAGS[picks[i, 0]]} {tags}"
    return out


def comment_texts(rng: np.random.Generator, topics: np.ndarray, k: int) -> list[str]:
    """Short comments, sometimes echoing a word of the post's topic."""
    vocab = topic_words(k)
    phrases = rng.integers(0, len(COMMENTS), len(topics))
    words = rng.integers(0, 8, len(topics))
    echo = rng.random(len(topics)) < 0.4
    return [
        f"{COMMENTS[p]} #{vocab[t][w]}" if e else COMMENTS[p]
        for p, t, w, e in zip(phrases.tolist(), topics.tolist(), words.tolist(), echo.tolist(), strict=True)
    ]


def person_names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """Unique usernames (`first.last` plus the index) and display names for n users."""
    first = rng.integers(0, len(FIRST_NAMES), n).tolist()
    last = rng.integers(0, len(LAST_NAMES), n).tolist()
    usernames = [f"{FIRST_NAMES[f]}.{LAST_NAMES[s]}{i}" for i, (f, s) in enumerate(zip(first, last, strict=True))]
    full = [f"{FIRST_NAMES[f].title()} {LAST_NAMES[s].title()}" for f, s in zip(first, last, strict=True)]
    return usernames, full
