"""What the figures mean: overview sentences, the coverage planner, pilot-vs-rollout evaluation
and the models registry. Works on DataFrames from named queries; no Streamlit, no SQL text."""
