/** Networks (backbone to feature map to head) and the saved-model bundle. */
package io.pneuknow.model;
