"""Names shared by the flows of this folder."""

REPORT_NAME = "report-from-constants"
