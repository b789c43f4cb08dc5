"""Session-state keys shared across pages, and typed accessors.

Pages never import each other: what passes between them goes through these keys (for the live
session) and through the workspace store (for anything that must survive a restart).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

# the dataset the analyst works on
DATASET = "studio_dataset"  # core.data.Dataset
DATASET_CHOICE = "studio_dataset_choice"  # label of the sidebar picker
# cross-page hand-offs
SEGMENT_FOR_COPY = "studio_segment_for_copy"  # core.briefs.SegmentBrief sent by segmentation
SEGMENTATION_RESULT = "studio_segmentation_result"  # latest segmentation of the current dataset
CREDIT_MODEL_FP = "studio_credit_model_fp"  # fingerprint of the credit model trained this session


def get(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def put(key: str, value: Any) -> None:
    st.session_state[key] = value


def pop(key: str) -> Any:
    return st.session_state.pop(key, None)
