/** In-domain pretraining of our backbones on X-rays (self-supervised contrastive, or supervised transfer), exported as a backbone file with its provenance. */
package io.pneuknow.pretrain;
