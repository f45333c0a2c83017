"""One router per resource; `ROUTERS` is what the app mounts."""

from serving.routes import auth, comments, graph, health, posts, users, web

ROUTERS = [health.router, auth.router, users.router, graph.router, posts.router, comments.router, web.router]
