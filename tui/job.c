/*
 * job.c — child hearth processes run from the console.
 *
 * Everything that changes state or may take a while (invoke, create,
 * update, delete, any ':' command) runs as `hearth ARGS...` in a child,
 * with stdout and stderr on pipes the event loop reads without blocking
 * (tmux's job.c is the model).  When the child exits, its done callback
 * decides what the operator sees.  A command that misbehaves cannot take
 * the console with it, and a console that dies takes its jobs with it.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui.h"

static void	 tui_job_free(struct tui_job *j);

/*
 * Start `hearth argv...`; done runs when it exits.  title names it for
 * the status line; arg is kept for done.  NULL (status set) on failure.
 */
struct tui_job *
tui_job_start(struct tui *t, const char *title, char **argv,
    void (*done)(struct tui *, struct tui_job *), const char *arg)
{
	struct tui_job	*j;
	pid_t		 parent;
	int		 o[2], e[2], n, fd;
	char		**av;

	if (pipe2(o, O_CLOEXEC) == -1 || pipe2(e, O_CLOEXEC) == -1) {
		tui_status(t, 1, "pipe: %s", strerror(errno));
		return NULL;
	}
	for (n = 0; argv[n] != NULL; n++)
		;
	av = xcalloc(n + 2, sizeof *av);
	av[0] = (char *)"hearth";
	memcpy(av + 1, argv, sizeof *av * n);
	j = xcalloc(1, sizeof *j);
	j->title = xstrdup(title);
	j->arg = arg != NULL ? xstrdup(arg) : NULL;
	j->done = done;
	j->status = -1;
	j->pane_gen = t->pane_gen;
	parent = getpid();
	if ((j->pid = fork()) == 0) {
		/*
		 * A console that dies (kill -9, a crash) interrupts its jobs
		 * as Ctrl-C would: each ends what it was starting and dies,
		 * rather than run on for nobody (util_interrupt_catch).
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGINT) == -1 || getppid() != parent)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		execv("/proc/self/exe", av);
		_exit(127);
	}
	free(av);
	close(o[1]);
	close(e[1]);
	if (j->pid == -1) {
		tui_status(t, 1, "fork: %s", strerror(errno));
		close(o[0]);
		close(e[0]);
		tui_job_free(j);
		return NULL;
	}
	j->out = o[0];
	j->err = e[0];
	fcntl(j->out, F_SETFL, O_NONBLOCK);
	fcntl(j->err, F_SETFL, O_NONBLOCK);
	j->next = t->jobs;
	t->jobs = j;
	return j;
}

/* Add the jobs' pipes to pfd (at most max); return how many were added. */
int
tui_job_fds(struct tui *t, int *fds, int max)
{
	struct tui_job	*j;
	int		 n = 0;

	for (j = t->jobs; j != NULL && n + 2 <= max; j = j->next) {
		if (j->out != -1)
			fds[n++] = j->out;
		if (j->err != -1)
			fds[n++] = j->err;
	}
	return n;
}

static void
job_drain(int *fd, struct buf *b)
{
	char	tmp[65536];
	ssize_t	n;

	if (*fd == -1)
		return;
	while ((n = read(*fd, tmp, sizeof tmp)) > 0)
		buf_add(b, tmp, n);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		close(*fd);
		*fd = -1;
	}
}

/* Read what the jobs printed; finish those that have exited. */
void
tui_job_poll(struct tui *t)
{
	struct tui_job	**jp, *j;
	int		  st;

	for (jp = &t->jobs; (j = *jp) != NULL;) {
		job_drain(&j->out, &j->obuf);
		job_drain(&j->err, &j->ebuf);
		if (j->out == -1 && j->err == -1 &&
		    waitpid(j->pid, &st, WNOHANG) == j->pid) {
			j->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			if (j->obuf.data == NULL)
				buf_add(&j->obuf, "", 0);
			if (j->ebuf.data == NULL)
				buf_add(&j->ebuf, "", 0);
			*jp = j->next;
			if (j->done != NULL)
				j->done(t, j);
			tui_job_free(j);
			t->dirty = 1;
			continue;
		}
		jp = &j->next;
	}
}

/* Free a job's buffers and itself; its pipes are closed already. */
static void
tui_job_free(struct tui_job *j)
{
	buf_free(&j->obuf);
	buf_free(&j->ebuf);
	free(j->title);
	free(j->arg);
	free(j);
}
