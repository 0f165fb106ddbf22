/**
 * Stores images' annotations and the people who make them in a SQL database (an embedded H2 file by default,
 * PostgreSQL for a team): versioned schema migrations, regions whose every change is kept, optimistic locking,
 * reviews, "no finding" marks, a served model's stored predictions, backup and restore. Uses no other package of
 * ours but the root one.
 */
package io.pneuknow.annotate;
