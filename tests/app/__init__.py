"""Streamlit AppTest tests of the dashboard."""

import os

import streamlit.logger

# Streamlit's bare-mode chatter ("No runtime found", "missing ScriptRunContext") is expected
# when the dashboard's modules are imported outside a running app. The variable keeps the
# level when Streamlit later reads its configuration.
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
streamlit.logger.set_log_level("error")
