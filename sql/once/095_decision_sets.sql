{% import 'include/decision_shapes.sql' as d with context -%}
-- Decision sets (issue 16): sample selection generalized. The catalog of the
-- declared sets, and the tables of the three sets phaseline ships besides
-- samples. Named, not looped over `decision_sets`: a run-once file must not
-- render differently when an extension declares another set (that would be
-- drift); a new set is a new run-once file with its tables.

-- The declared decision sets, as deploy last rendered them from the TOML
-- (repeatable/135_decision_sets.sql keeps it): which tables, and the item
-- data contract, held as data like the phase contracts.
CREATE TABLE {{ schema }}.decision_sets (
    set_name      text COLLATE "C" PRIMARY KEY,
    entity        text NOT NULL,
    versions_table text NOT NULL,
    items_table   text NOT NULL,
    item_key      text NOT NULL,
    item_data     text NOT NULL,
    item_contract jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT item_contract_is_object CHECK (jsonb_typeof(item_contract) = 'object')
);
COMMENT ON TABLE {{ schema }}.decision_sets IS 'The decision sets of phaseline.toml and its extensions, with each set''s item data contract.';

{% for s in [decision_set('scoping'), decision_set('profiling_rules'), decision_set('observations')] %}
-- {{ s.name }}
{{ d.versions_table(s) }}
{{ d.items_table(s) }}
{%- endfor %}
