/**
 * Training jobs started from the workspace: each freezes the current annotations (a regions CSV and its SHA-256, the
 * snapshot id), runs {@code train} and then {@code evaluate} in a child JVM, one job at a time, and registers the
 * finished model in the annotation database's registry ({@link io.pneuknow.annotate.TrainingStore}); a study job runs
 * {@code experiment} (baseline against HKD over seeds) the same way and registers nothing.
 */
package io.pneuknow.jobs;
