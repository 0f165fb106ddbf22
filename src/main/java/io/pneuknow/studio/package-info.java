/**
 * The radiologist's workspace server ({@code pneuknow studio}): image list, server-rendered pixels, regions and people
 * over JSON, a served model's predictions computed in the background, and the review: its heat maps over the image
 * on demand and the images where it disagrees with the expert flagged; what to annotate next, the unannotated images
 * ranked by a queue strategy.
 */
package io.pneuknow.studio;
