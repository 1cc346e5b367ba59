"""Report: DAG views, stats tables, HTML report."""
