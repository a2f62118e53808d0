"""仪表盘: the supervisor's dashboard — rollups, reads, periods and exports."""
