/*
 * interrupt.c — Ctrl-C: what a command may finish before it dies of it.
 *
 * By default SIGINT kills a process wherever it is.  For hearth that is
 * fine almost everywhere — what it leaves (a row 'starting' whose owner
 * died) the next process's janitor destroys — but an operator who
 * pressed Ctrl-C on `fn invoke` expects nothing left behind at all, and
 * the shell expects to live on.  So the handler dies at once only when
 * nothing is held (util_hold counts what is: instances this process owns
 * while it starts them); otherwise it sets util_interrupted, the agent
 * requests under way end (agent-client.c), the holder destroys what it
 * holds, and the front end re-raises SIGINT once the command returned.
 * In the shell (die 0) the flag only ends the command that runs.
 */
#include <signal.h>
#include <string.h>

#include "util.h"

volatile sig_atomic_t	 util_interrupted;
static volatile sig_atomic_t interrupt_holds;	/* util_hold's count */
static int		 interrupt_die;		/* die when nothing is held */

static void
interrupt_on_sigint(int sig)
{
	util_interrupted = 1;
	if (interrupt_die && interrupt_holds == 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

/* Catch SIGINT from now on; die: end at once when nothing is held. */
void
util_interrupt_catch(int die)
{
	struct sigaction	sa, was;

	interrupt_die = die;
	/* Ignored (a background job of a script): it stays so, as in sh. */
	if (sigaction(SIGINT, NULL, &was) == 0 && was.sa_handler == SIG_IGN)
		return;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = interrupt_on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked read sees EINTR */
	sigaction(SIGINT, &sa, NULL);
}

/* After a command: a deferred Ctrl-C kills the process now (die mode). */
void
util_interrupt_end(void)
{
	if (interrupt_die && util_interrupted) {
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
	}
}

/* Hold (delta 1) or let go of (-1) something a death would leave behind. */
void
util_hold(int delta)
{
	interrupt_holds += delta;
}
