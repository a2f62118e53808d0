"""Pure rules: functions of plain data and `now`. No ORM, no I/O."""
