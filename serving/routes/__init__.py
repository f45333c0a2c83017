"""One router per resource; `ROUTERS` is what the app mounts."""

from serving.routes import (
    auth,
    comments,
    explore,
    feed,
    graph,
    health,
    me_ranking,
    media,
    metrics,
    posts,
    realtime,
    stories,
    threads,
    users,
    web,
)

ROUTERS = [
    health.router,
    metrics.router,
    auth.router,
    users.router,
    graph.router,
    media.router,
    posts.router,
    feed.router,
    explore.router,
    comments.router,
    stories.router,
    threads.router,
    me_ranking.router,
    realtime.router,
    web.router,
]
