"""Retail AIGC Studio core: the domain layer. It never imports streamlit or the dashboard."""
