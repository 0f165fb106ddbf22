/** Class activation maps (Grad-CAM, CAM, and where a feature cell lies on the image) and their agreement with expert regions. */
package io.pneuknow.explain;
