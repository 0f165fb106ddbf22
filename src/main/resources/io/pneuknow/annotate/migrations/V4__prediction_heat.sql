-- PneuKnow annotation database, schema version 4: where the served model's heat lies against the expert's
-- regions. The same SQL runs on H2 2.x and PostgreSQL 10+. Never edit it after release: add V5__... instead.

-- heat_inside: the share of the predicted class's Grad-CAM heat (summed over the image's pixels) that lies inside
-- the image's lesion regions (not deleted, not rejected) as they were when it was computed, in [0, 1].
-- region_area: the share of the image's pixels those regions cover, in (0, 1]: what heat spread evenly over the
-- image would put inside them. Both null for an image without lesion regions (and heat_inside null when the heat
-- map is all zero). The studio flags an image whose heat_inside is below its region_area (io.pneuknow.studio.Review).
ALTER TABLE predictions ADD COLUMN heat_inside DOUBLE PRECISION;
ALTER TABLE predictions ADD COLUMN region_area DOUBLE PRECISION;
ALTER TABLE predictions ADD CONSTRAINT predictions_heat_inside_range CHECK (heat_inside >= 0 AND heat_inside <= 1);
ALTER TABLE predictions ADD CONSTRAINT predictions_region_area_range CHECK (region_area > 0 AND region_area <= 1);
