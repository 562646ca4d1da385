"""The Streamlit app: `streamlit run ui/app.py` (pages in ui/pages/, shared widgets in ui/components/)."""
