{% import 'include/versioning.sql' as v with context %}
-- The versioning engine's triggers, generated for every entity of phaseline.toml.
{% for e in versioned %}
{{ v.triggers(e) }}
{% endfor %}
