/*
 * invoke.c — one invocation: an event in, a result and its logs out.
 *
 * The agent serves one invocation at a time and answers 409 when busy, so
 * any number of hearth processes can share instances without locks: an
 * invoker tries the function's warm instances, most recently used first,
 * then claims one from the pool, then starts a new one — unless the
 * instances' memory budget (inst.c) has no room for it: then it waits a
 * little for a warm one and fails TooManyRequestsException, as Lambda
 * throttles, rather than over-commit the host.  An event no
 * agent took (AGENT_NOT_SENT: refused, or gone before one byte of an
 * answer — an agent exiting idle, say) goes to the next instance, and,
 * if a claimed or new one does not take it either, to one more new one;
 * one an agent took and did not answer (it may have reached the
 * handler), or that broke a cap, is never sent again: it fails once, as
 * Lambda reports a failed sandbox, and the instance is ended.  So is one
 * whose invocation timed out or crashed, as Lambda replaces an execution
 * environment.  agent_request (vm/agent-client.c) states the rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inst.h"
#include "proto.h"

#define INVOKE_THROTTLE_MS	2000	/* wait this long for a warm instance */
#define INVOKE_THROTTLE_POLL_MS	50	/* looking again this often */

/* Make res a failed invocation: Sandbox.Failure, saying msg, no logs. */
static void
invoke_sandbox_failure(struct invoke_result *res, const char *msg)
{
	free(res->body);
	res->status = INVOKE_CRASH;
	res->body = lambda_error("Sandbox.Failure", msg, &res->body_len);
	free(res->logs);
	res->logs = xstrdup("");
	res->logs_len = 0;
}

/*
 * Fail the invocation in res because in's agent sent a reply over a cap
 * (why, from agent_request), and end the instance.
 */
static void
invoke_over_cap(struct store *st, struct inst *in, struct invoke_result *res,
    const char *why)
{
	char	*msg, *event;

	if (strncmp(why, "agent: ", 7) == 0)
		why += 7;
	msg = xasprintf("RequestId: %s Error: instance %s sent a reply over "
	    "the cap (%s)", res->request_id, in->id, why);
	invoke_sandbox_failure(res, msg);
	free(msg);
	event = xasprintf("sent a reply over the cap (%s)", why);
	inst_kill_why(st, in, event);
	free(event);
}

/* Is fn still the function of its name (not deleted, nor made again)? */
static int
invoke_fn_lives(struct store *st, const struct fn *fn)
{
	sqlite3_stmt	*stmt = store_stmt(st, "SELECT 1 FROM functions "
	    "WHERE name = ? AND created = ?");
	int		 yes;

	sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_double(stmt, 2, fn->created);
	yes = sqlite3_step(stmt) == SQLITE_ROW;
	store_done(stmt);
	return yes;
}

/* Make res the failure of an invocation killed for using over memory_mb. */
static void
invoke_oom(struct invoke_result *res, int memory_mb)
{
	free(res->body);
	res->body = lambda_oom_error(res->request_id, memory_mb, &res->body_len);
}

/*
 * Send one invocation to in.  Returns 1 if in was busy, 0 when it served
 * the invocation (res filled), -1 when it failed to (dead: caller
 * destroys it and tries another), -2 when the agent never took the event
 * (it may be dead, or alive with every connection slot in use, or
 * draining to exit idle: the caller asks before it ends it), -3 when
 * Ctrl-C ended the wait (util_interrupted).  An instance that stopped answering or
 * broke a cap may have run the event: its invocation fails (0, res says
 * why) and it is ended, never retried elsewhere.
 */
static int
invoke_send(struct store *st, struct inst *in, struct fn *fn, const char *payload,
    size_t len, struct invoke_result *res, char **cause)
{
	const struct vm_driver	*drv = vm_driver_find(in->driver);
	struct agent_reply	 r;
	struct vm_stats		 vs;
	long			 wait_ms;
	int			 rc;

	wait_ms = (long)fn->timeout_s * 1000 + LAMBDA_INIT_BUDGET_MS + 5000;
	rc = agent_request(conn_get(in->sock), "POST", PROTO_PATH_INVOKE, payload,
	    len, res->request_id, (long)fn->timeout_s * 1000, wait_ms, &r, cause);
	if (rc == AGENT_NOT_SENT)
		return -2;	/* never delivered: another instance may run it */
	if (rc == AGENT_INTERRUPTED)
		return -3;	/* Ctrl-C: the caller judges the instance */
	if (rc == AGENT_OVER_CAP) {
		/*
		 * Only a subverted agent (or whatever took its place) sends
		 * more than proto.h allows.  The event may have run: fail it
		 * here, and end the instance.
		 */
		invoke_over_cap(st, in, res, *cause);
		free(*cause);
		*cause = NULL;
		return 0;
	}
	if (rc == AGENT_NO_ANSWER) {
		/*
		 * The event may have reached the handler: running it again
		 * elsewhere could do its work twice.  Report the failure.
		 */
		struct vm_info	 vi;
		char		*dir = inst_run_dir(st, in->id), *msg;

		memset(&vi, 0, sizeof vi);
		if (drv != NULL)
			drv->info(in->id, dir, &vi);
		free(dir);
		if (!invoke_fn_lives(st, fn))
			msg = xasprintf("RequestId: %s Error: function '%s' was "
			    "deleted while it ran (its instance %s with it)",
			    res->request_id, fn->name, in->id);
		else
			msg = xasprintf("RequestId: %s Error: instance %s stopped "
		    "answering%s%s%s after it took the event; not sent again, "
		    "as it may have run", res->request_id, in->id,
		    vi.exit[0] != '\0' ? " (" : "", vi.exit, vi.exit[0] != '\0' ?
		    ")" : "");
		invoke_sandbox_failure(res, msg);
		free(msg);
		free(*cause);
		*cause = NULL;
		inst_kill(st, in);
		return 0;
	}
	if (r.http == 409 || r.http == 503) {
		/* Busy, or (503) still being configured by whoever made it. */
		agent_reply_free(&r);
		return 1;
	}
	if (r.http != 200 || r.log_len > r.body_len) {
		*cause = xasprintf("instance %s: agent answered %d", in->id, r.http);
		agent_reply_free(&r);
		return -1;
	}
	/* The log may hold NULs: copied by length, never as a string. */
	res->logs = xmalloc(r.log_len + 1);
	memcpy(res->logs, r.body, r.log_len);
	res->logs[r.log_len] = '\0';
	res->logs_len = r.log_len;
	res->body_len = r.body_len - r.log_len;
	res->body = xmalloc(res->body_len + 1);
	memcpy(res->body, r.body + r.log_len, res->body_len);
	res->body[res->body_len] = '\0';
	res->duration_ms = r.duration_us / 1000.0;
	res->init_ms = r.init_us / 1000.0;
	/*
	 * A warm instance whose runtime restarted (a hot reload, say) ran
	 * this one in a new runtime, after its init: a cold start too.
	 */
	if (r.init_us > 0)
		res->cold = 1;
	res->max_mem_mb = (int)((r.max_rss_kb + 1023) / 1024);
	if (strcmp(r.status, PROTO_STATUS_OK) == 0)
		res->status = INVOKE_OK;
	else if (strcmp(r.status, PROTO_STATUS_ERROR) == 0)
		res->status = INVOKE_ERROR;
	else if (strcmp(r.status, PROTO_STATUS_TIMEOUT) == 0)
		res->status = INVOKE_TIMEOUT;
	else {
		res->status = INVOKE_CRASH;
		if (drv != NULL && drv->stats(in->id, &vs) == 0) {
			if (vs.mem_peak > 0)
				res->max_mem_mb = (int)(vs.mem_peak >> 20);
			if (vs.oom_kills > 0)
				invoke_oom(res, fn->memory_mb);
		}
	}
	agent_reply_free(&r);
	if (res->status == INVOKE_CRASH || res->status == INVOKE_TIMEOUT) {
		/*
		 * Replace the sandbox, as Lambda replaces an execution
		 * environment: what timed out or crashed may have left
		 * processes or state behind.
		 */
		inst_kill_why(st, in, res->status == INVOKE_TIMEOUT ?
		    "replaced after a timeout" : "replaced after a crash");
		return 0;
	}
	/* last_used only orders instances and ages them: a second is fine. */
	if (util_now() - in->last_used >= 1.0)
		inst_update_row(st, in);
	return 0;
}

/* Ctrl-C: what invoke_run says when it ends on it. */
static int
invoke_interrupted(char **cause)
{
	free(*cause);
	*cause = xstrdup("interrupted");
	return -1;
}

/*
 * Try fn's warm instances under driver, most recently used first: 1 when
 * one served the invocation (res filled), 0 if none could, -1 on Ctrl-C
 * (the instance it was waiting on goes on with the event, and idles).
 */
static int
invoke_warm(struct store *st, struct fn *fn, const char *driver,
    const char *payload, size_t len, struct invoke_result *res)
{
	const struct vm_driver	*drv;
	sqlite3_stmt		*stmt;
	struct inst		**cands, *in;
	char			*err = NULL;
	int			 n, i, rc, served = 0;

	stmt = store_stmt(st, "SELECT " INST_COLUMNS " FROM instances "
	    "WHERE fn = ? AND driver = ? AND state = 'ready' "
	    "ORDER BY last_used DESC");
	sqlite3_bind_text(stmt, 1, fn->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, driver, -1, SQLITE_STATIC);
	n = inst_rows(stmt, &cands);
	store_done(stmt);

	for (i = 0; i < n && served == 0; i++) {
		in = cands[i];
		if (util_interrupted) {
			served = -1;
			break;
		}
		if (in->fn_version != fn->version || in->code_version != fn->code_version) {
			if (inst_bring_current(st, in, fn, 1, &err) != 0) {
				free(err);
				err = NULL;
				inst_kill(st, in);
				continue;
			}
		}
		rc = invoke_send(st, in, fn, payload, len, res, &err);
		if (rc == 0)
			served = 1;
		else if (rc == -3) {
			free(err);
			err = NULL;
			served = -1;
		} else if (rc < 0) {
			free(err);
			err = NULL;
			/*
			 * An agent that took no connection but is alive is
			 * full (64 clients on 48 slots) or exiting idle: not
			 * ended here, where a busy one would be killed.  The
			 * janitor judges it by its liveness.
			 */
			if (rc == -2 && (drv = vm_driver_find(in->driver)) != NULL &&
			    drv->alive(in->id, in->pid))
				continue;
			inst_kill(st, in);
		}
	}
	inst_free_rows(cands, n);
	if (served == 1)
		inst_scale_down(st, fn->name);	/* a trickle after a burst */
	return served;
}

/*
 * Invoke fn with payload: warm instance, else pool, else a new one — if
 * the memory budget has room for it (inst.c); if not, wait up to
 * INVOKE_THROTTLE_MS for a warm one to come free, then fail throttled.
 * Returns 0 with res filled (whatever the handler did), -1 with *cause if
 * no instance could run it.
 */
int
invoke_run(struct store *st, struct fn *fn, const char *payload, size_t len,
    struct invoke_result *res, char **cause)
{
	struct inst	*in = NULL;
	const char	*driver = fn_driver(fn->driver);
	double		 until;
	int		 rc, retried = 0;

	memset(res, 0, sizeof *res);
	*cause = NULL;
	lambda_request_id(res->request_id);
	if ((rc = invoke_warm(st, fn, driver, payload, len, res)) != 0) {
		if (rc > 0)
			inst_gc_due(st, 0);
		return rc > 0 ? 0 : invoke_interrupted(cause);
	}

	res->cold = 1;
	inst_gc_due(st, 1);	/* what dead processes left goes first */
	if (util_interrupted)
		return invoke_interrupted(cause);
	in = pool_size() > 0 ? pool_claim(st, fn, driver) : NULL;
	if (in != NULL) {
		/* Its row is written once, by inst_mark_ready below. */
		if (inst_bring_current(st, in, fn, 0, cause) != 0) {
			free(*cause);
			*cause = NULL;
			inst_kill(st, in);
			inst_free(in);
			in = NULL;
		}
	}
	/* No room for a new one: wait for a warm one (pool claims count). */
	until = util_now() + INVOKE_THROTTLE_MS / 1000.0;
	while (in == NULL && inst_over_budget(st, fn->memory_mb)) {
		if (util_now() >= until) {
			*cause = inst_throttled(st, fn->memory_mb);
			return -1;
		}
		usleep(INVOKE_THROTTLE_POLL_MS * 1000);
		if ((rc = invoke_warm(st, fn, driver, payload, len, res)) != 0) {
			res->cold = res->init_ms > 0;	/* as invoke_send says */
			return rc > 0 ? 0 : invoke_interrupted(cause);
		}
	}
	for (;;) {
		if (in == NULL && util_interrupted)
			return invoke_interrupted(cause);
		if (in == NULL) {
			if ((in = inst_spawn(st, fn->runtime, driver, fn,
			    cause)) == NULL)
				return -1;
			/* Not configured (its agent died, say): not sent. */
			rc = inst_bring_current(st, in, fn, 0, cause) == 0 ? 0 : -1;
		} else
			rc = 0;
		if (rc == 0) {
			rc = invoke_send(st, in, fn, payload, len, res, cause);
			if (rc == -2)
				rc = -1;
		}
		if (rc != -1 || retried || util_interrupted)
			break;
		/*
		 * Not taken (a claimed pool instance that was exiting idle, a
		 * new one whose agent died before it was configured): the
		 * event never started, so one more new instance may run it.
		 * Once: a second is not likely to do better.
		 */
		free(*cause);
		*cause = NULL;
		inst_kill(st, in);
		inst_free(in);
		in = NULL;
		retried = 1;
	}
	if (rc != 0) {
		/*
		 * Ctrl-C on a new instance: it is destroyed, event and all,
		 * so that nothing of the interrupted command is left.
		 */
		if (rc == 1)
			*cause = xasprintf("instance %s: busy", in->id);
		inst_kill(st, in);
		inst_free(in);
		return -1;
	}
	inst_mark_ready(st, in);	/* a no-op if a crash removed it */
	inst_free(in);
	pool_refill_async(fn->runtime, driver);
	return 0;
}

void
invoke_result_free(struct invoke_result *res)
{
	free(res->body);
	free(res->logs);
	memset(res, 0, sizeof *res);
}

