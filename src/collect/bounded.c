#include "bounded.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

struct bounded {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int (*fn)(void *arg);
	void *arg;
	void (*done)(void *arg);
	int rc;
	bool finished, abandoned;
};

static void bounded_free(struct bounded *b)
{
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cv);
	free(b);
}

/* Whoever is last, the caller or the thread, frees: an abandoned call's
 * arg outlives the scan that made it. */
static void *bounded_main(void *p)
{
	struct bounded *b = p;
	int rc = b->fn(b->arg);
	bool abandoned;

	pthread_mutex_lock(&b->lock);
	b->rc = rc;
	b->finished = true;
	abandoned = b->abandoned;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->lock);
	if (abandoned) {
		b->done(b->arg);
		bounded_free(b);
	}
	return NULL;
}

int bounded_call(int (*fn)(void *arg), void *arg, void (*done)(void *arg), int ms, int *rc)
{
	struct bounded *b = xcalloc(1, sizeof(*b));
	struct timespec until;
	pthread_attr_t attr;
	pthread_t tid;
	bool finished;

	b->fn = fn;
	b->arg = arg;
	b->done = done;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cv, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, bounded_main, b) != 0) {
		*rc = fn(arg);
		pthread_attr_destroy(&attr);
		bounded_free(b);
		return 0;
	}
	pthread_attr_destroy(&attr);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&b->lock);
	while (!b->finished)
		if (pthread_cond_timedwait(&b->cv, &b->lock, &until) == ETIMEDOUT)
			break;
	finished = b->finished;
	b->abandoned = !finished;
	*rc = b->rc;
	pthread_mutex_unlock(&b->lock);
	if (!finished)
		return -ETIMEDOUT;
	bounded_free(b);
	return 0;
}
