-- PneuKnow annotation database, schema version 2: the served model's predictions. The same SQL runs on H2 2.x
-- and PostgreSQL 10+. Applied once by io.pneuknow.annotate.Migrations, which records it with its SHA-256 in
-- schema_migrations; never edit it after release: add V3__... instead.

-- What a model predicted for an image: the predicted class and its probability. model_id is the model's id from
-- its model.json (the first 12 hex digits of its weights' SHA-256), so a prediction is stored once per model and
-- image and reused after a restart; another model's predictions sit beside it. Derived data: the studio
-- recomputes what is missing, and backups leave this table out.
CREATE TABLE predictions (
    image_id VARCHAR(500) NOT NULL REFERENCES images (id),
    model_id VARCHAR(100) NOT NULL,
    label VARCHAR(200) NOT NULL,
    probability DOUBLE PRECISION NOT NULL CHECK (probability >= 0 AND probability <= 1),
    PRIMARY KEY (image_id, model_id)
);
