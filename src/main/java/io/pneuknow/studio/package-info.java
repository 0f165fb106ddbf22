/** The radiologist's workspace server ({@code pneuknow studio}): image list, server-rendered pixels, regions and people over JSON. */
package io.pneuknow.studio;
