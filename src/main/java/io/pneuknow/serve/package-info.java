/** The HTTP service and its web page: predictions, heat maps and the model card for uploaded images. */
package io.pneuknow.serve;
