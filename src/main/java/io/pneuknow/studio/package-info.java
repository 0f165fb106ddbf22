/**
 * The radiologist's workspace server ({@code pneuknow studio}): image list, server-rendered pixels, regions and people
 * over JSON, and a served model's predictions computed in the background.
 */
package io.pneuknow.studio;
