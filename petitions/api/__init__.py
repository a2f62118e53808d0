"""The staff API for petitions: `serializers`, `pagination` and `filters` for the list, `views`, `urls`."""
