"""The web UI (`assistant chat`): the Gradio app in `app`, with what it renders, keeps and reads in
`render`, `session`, `auth` and `assets`. Gradio itself is imported only when an app is built."""

from assistant.ui.app import build_app, launch, login_pairs

__all__ = ["build_app", "launch", "login_pairs"]
