"""Every table of the social core; importing this package registers them all on `Base.metadata`."""

from social_core.models.accounts import AuthToken, User
from social_core.models.graph import Block, Follow, FollowRequest
from social_core.models.media import Media
from social_core.models.messages import Message, Thread, ThreadParticipant
from social_core.models.outbox import Event
from social_core.models.posts import Comment, Hide, Like, Post, PostHashtag, PostMedia, PostMention, Save
from social_core.models.preferences import RankingPreference
from social_core.models.stories import Story, StoryView

__all__ = [
    "AuthToken",
    "Block",
    "Comment",
    "Event",
    "Follow",
    "FollowRequest",
    "Hide",
    "Like",
    "Media",
    "Message",
    "Post",
    "PostHashtag",
    "PostMedia",
    "PostMention",
    "RankingPreference",
    "Save",
    "Story",
    "StoryView",
    "Thread",
    "ThreadParticipant",
    "User",
]
