"""The only Streamlit-aware part of ml101: URL state, presenter mode, code panel."""
