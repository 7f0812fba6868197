/*
 * interrupt.c — Ctrl-C, a hangup, a TERM: what a command finishes first.
 *
 * By default these signals kill a process wherever it is.  For hearth
 * that is fine almost everywhere — what it leaves (a row 'starting' whose
 * owner died) the next process's janitor destroys — but an operator who
 * pressed Ctrl-C on `fn invoke`, or whose SSH link dropped under it,
 * expects nothing left behind at all, and the shell expects to live on
 * after a Ctrl-C.  So the handler dies at once only when nothing is held
 * (util_hold counts what is: instances this process owns while it starts
 * them); otherwise it sets util_interrupted, the agent requests under way
 * end (agent-client.c), the holder destroys what it holds, and the front
 * end dies of the same signal once the command returned, so its parent
 * sees what it would have seen.  In the shell (die 0) SIGINT only sets
 * the flag, which ends the command that runs.
 */
#include <signal.h>
#include <string.h>

#include "util.h"

volatile sig_atomic_t	 util_interrupted;
static volatile sig_atomic_t interrupt_holds;	/* util_hold's count */
static volatile sig_atomic_t interrupt_pending;	/* the signal to die of */
static int		 interrupt_die;		/* SIGINT kills, too */

static void
interrupt_on_signal(int sig)
{
	util_interrupted = 1;
	if (sig == SIGINT && !interrupt_die)
		return;
	interrupt_pending = sig;
	if (interrupt_holds == 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

/*
 * Catch SIGINT, SIGHUP and SIGTERM from now on; die: SIGINT ends the
 * process too (a one-shot command), not only the command (the shell).
 */
void
util_interrupt_catch(int die)
{
	static const int	sigs[] = { SIGINT, SIGHUP, SIGTERM };
	struct sigaction	sa, was;
	size_t			i;

	interrupt_die = die;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = interrupt_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked read sees EINTR */
	for (i = 0; i < nitems(sigs); i++) {
		/* Ignored (nohup, a script's background job): it stays so. */
		if (sigaction(sigs[i], NULL, &was) == 0 &&
		    was.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

/* After a command: a signal held off meanwhile kills the process now. */
void
util_interrupt_end(void)
{
	int	sig = interrupt_pending;

	if (sig != 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

/* Hold (delta 1) or let go of (-1) something a death would leave behind. */
void
util_hold(int delta)
{
	interrupt_holds += delta;
}
