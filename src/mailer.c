/*
 * mailer.c -- the daemon's mail thread: runs one job at a time off the
 * event loop (a job may block: synchronous Redis, curl_easy_perform on
 * SMTP) and hands it back to the loop through a pipe, whose read end is an
 * ordinary event. Nothing of libevent is touched from the thread, so
 * libevent needs no thread support: the thread only writes one byte.
 *
 * The loop owns every job before mailer_post and after its done callback;
 * the thread owns it in between. The done callback runs on the loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "liaison.h"
#include "daemon.h"

struct mailer {
	struct event_base *base;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int pipe[2];                /* the thread writes, the loop reads */
	struct event *done_ev;

	/* Under lock. */
	mailer_work_fn work;
	mailer_done_fn done;
	void *arg;
	int queued;                 /* a job waits for the thread */
	int running;                /* the thread runs it */
	int finished;               /* the loop has not yet taken it back */
	int stopping;
};

static void *
mailer_thread(void *arg)
{
	struct mailer *m = arg;
	char byte = 'd';

	pthread_mutex_lock(&m->lock);
	for (;;) {
		while (!m->queued && !m->stopping)
			pthread_cond_wait(&m->wake, &m->lock);
		if (!m->queued)
			break;
		m->queued = 0;
		m->running = 1;
		pthread_mutex_unlock(&m->lock);
		m->work(m->arg, m);
		pthread_mutex_lock(&m->lock);
		m->running = 0;
		m->finished = 1;
		while (write(m->pipe[1], &byte, 1) == -1 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/* Take a finished job back; call its done callback on the caller's thread. */
static void
mailer_take_back(struct mailer *m)
{
	mailer_done_fn done;
	void *arg;

	pthread_mutex_lock(&m->lock);
	if (!m->finished) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	m->finished = 0;
	done = m->done;
	arg = m->arg;
	pthread_mutex_unlock(&m->lock);
	done(arg);
}

static void
mailer_readable(int fd, short what, void *arg)
{
	struct mailer *m = arg;
	char buf[16];

	while (read(fd, buf, sizeof buf) > 0)
		;
	mailer_take_back(m);
}

/* Start the thread; fatal when the system cannot. */
struct mailer *
mailer_start(struct event_base *base)
{
	struct mailer *m = xcalloc(1, sizeof *m);
	int rc;

	m->base = base;
	if (pipe(m->pipe) == -1)
		fatal("pipe");
	if (fcntl(m->pipe[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(m->pipe[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(m->pipe[1], F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl");
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	m->done_ev = event_new(base, m->pipe[0], EV_READ | EV_PERSIST,
	    mailer_readable, m);
	event_add(m->done_ev, NULL);
	if ((rc = pthread_create(&m->thread, NULL, mailer_thread, m)) != 0)
		fatalx("pthread_create: %s", strerror(rc));
	return m;
}

/*
 * Give the thread a job: work(arg, m) runs there (it should return soon
 * once mailer_stopping(m) says so), then done(arg) on the loop. Returns -1
 * when a job is still in hand (nothing is taken), 0 otherwise.
 */
int
mailer_post(struct mailer *m, mailer_work_fn work, mailer_done_fn done,
    void *arg)
{
	pthread_mutex_lock(&m->lock);
	if (m->queued || m->running || m->finished || m->stopping) {
		pthread_mutex_unlock(&m->lock);
		return -1;
	}
	m->work = work;
	m->done = done;
	m->arg = arg;
	m->queued = 1;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* 1 once the daemon is stopping: a job should return soon. */
int
mailer_stopping(struct mailer *m)
{
	int stopping;

	pthread_mutex_lock(&m->lock);
	stopping = m->stopping;
	pthread_mutex_unlock(&m->lock);
	return stopping;
}

/* 1 while a job is in hand. */
int
mailer_busy(struct mailer *m)
{
	int busy;

	pthread_mutex_lock(&m->lock);
	busy = m->queued || m->running || m->finished;
	pthread_mutex_unlock(&m->lock);
	return busy;
}

/*
 * Stop: tell the job in hand to finish, wait for the thread (at most one
 * message's send), and run the done callback of a job the loop never took
 * back (a job never started is handed back unrun).
 */
void
mailer_stop(struct mailer *m)
{
	int unrun;

	pthread_mutex_lock(&m->lock);
	m->stopping = 1;
	unrun = m->queued;
	m->queued = 0;
	if (unrun)
		m->finished = 1;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	mailer_take_back(m);
	event_free(m->done_ev);
	close(m->pipe[0]);
	close(m->pipe[1]);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->wake);
	free(m);
}
