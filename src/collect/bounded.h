/* A call that may wait on something another user controls (a lookup on a
 * filesystem of their namespace, which an overlay over FUSE can stall),
 * run on a thread of its own so that the scan waits for it only so long. */
#ifndef IPCSCOPE_BOUNDED_H
#define IPCSCOPE_BOUNDED_H

/* Runs fn(arg) on its own thread and waits at most ms milliseconds.
 * Returns 0 with fn's result in *rc when it returned in time: arg is the
 * caller's again. Otherwise -ETIMEDOUT: the thread goes on alone, the
 * caller must forget arg, and done(arg) runs when fn at last returns (if
 * it ever does before exit). With no thread to be had, fn runs here. */
int bounded_call(int (*fn)(void *arg), void *arg, void (*done)(void *arg), int ms, int *rc);

#endif
