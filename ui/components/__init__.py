"""Widgets shared by the app's pages. Pure formatting lives in `format`; the rest draws with Streamlit."""
