"""The web UI's stylesheet and the script of its sources panel (kept apart from the layout code)."""

CSS = """
#sources { max-height: 78vh; overflow-y: auto; }
.sources-empty, .sources-head { color: var(--body-text-color-subdued); font-size: 0.9em; margin-bottom: 0.6em; }
.sources-head .facts { white-space: nowrap; }
.source-card, .uncited .passage {
  border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6em 0.8em; margin-bottom: 0.7em;
}
.source-card.active { border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent-soft); }
.card-title { font-weight: 600; }
.card-title .num { color: var(--color-accent); }
.meta, .meta .location { color: var(--body-text-color-subdued); font-size: 0.85em; overflow-wrap: anywhere; }
.meta .location { font-size: 1em; }
.article-text, .passage-text {
  position: relative; max-height: 14em; overflow-y: auto; white-space: pre-wrap; font-size: 0.9em; line-height: 1.45;
  margin-top: 0.4em;
}
.article-text mark { background: #fde68a; color: #111; padding: 0 1px; border-radius: 2px; }
.source-card.active mark { background: #fbbf24; outline: 2px solid #d97706; }
.sources-refused { font-style: italic; color: var(--body-text-color-subdued); margin-bottom: 0.7em; }
.uncited summary { cursor: pointer; color: var(--body-text-color-subdued); margin: 0.4em 0; }
#chat a.cite { font-weight: 600; text-decoration: none; padding: 0 1px; }
#chat .refusal {
  font-style: italic; color: var(--body-text-color-subdued); border-left: 3px solid #9ca3af; padding-left: 0.6em;
}
#chat .chat-error { color: #b91c1c; border-left: 3px solid #dc2626; padding-left: 0.6em; }
"""

# Runs once when the sources panel loads (Gradio's js_on_load: `element`, `watch` are given). A click on an [n]
# link marks the card it points at; when the link belongs to another turn, the chat's select event re-renders the
# panel for that turn first, and `watch` marks the card once it is there.
PANEL_JS = """
const activate = (id) => {
  const card = id && document.getElementById(id);
  if (!card) return false;
  document.querySelectorAll('#sources .source-card.active').forEach((c) => c.classList.remove('active'));
  card.classList.add('active');
  card.scrollIntoView({ block: 'nearest' });
  centre(card);
  return true;
};
const centre = (card) => {
  const box = card.querySelector('.article-text');
  const mark = box && box.querySelector('mark');
  if (mark) box.scrollTop = Math.max(0, mark.offsetTop - 24);
};
const settle = () => {
  element.querySelectorAll('.source-card').forEach(centre);
  activate(window.__assistantCite);
};
if (!window.__assistantCiteClicks) {
  window.__assistantCiteClicks = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a.cite');
    if (!link) return;
    event.preventDefault();
    window.__assistantCite = link.getAttribute('href').slice(1);
    activate(window.__assistantCite);
  });
}
watch('value', settle);
settle();
"""
