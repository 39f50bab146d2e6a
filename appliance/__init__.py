"""The kiosk Pi as an appliance: the records' place that survives power cuts
(``records_place.py``) and the technician's health checks (``doctor.py``)."""
