/*
 * test-list.c — the manager's read side on a temp store: the rows of
 * list.c, the log reads of logs.c, the handler file of fn.c, and a
 * stream (stream.c over agent-stream.c) from a fake agent on a socket.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth.h"
#include "store.h"
#include "proto.h"
#include "check.h"

/* Run sql on st; a failure fails the check named id. */
static void
exec_sql(struct store *st, const char *id, const char *sql)
{
	char	*cause = NULL;
	int	 rc = store_exec(st, sql, &cause);

	CHECK(id, rc == 0);
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", id, cause);
	free(cause);
}

static int
ends_with(const char *s, const char *end)
{
	size_t	ls = strlen(s), le = strlen(end);

	return ls >= le && strcmp(s + ls - le, end) == 0;
}

/* Lines a stream handed out, joined with '|'. */
static void
on_line(const char *line, void *arg)
{
	struct buf	*b = arg;

	if (b->len > 0)
		buf_addstr(b, "|");
	buf_addstr(b, line);
}

/*
 * A fake agent: accept one connection on fd, check the request asks for
 * want, answer with two NDJSON lines in chunks, a trailer-less end, and
 * exit 0 if the request was right.
 */
static void nonreturn
fake_agent(int lfd, const char *want)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/x-ndjson\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "6\r\n{\"a\":1\r\n"
	    "a\r\n}\n{\"b\":2}\n\r\n"
	    "0\r\n\r\n";
	char	 req[1024];
	ssize_t	 n;
	int	 fd, ok;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	n = read(fd, req, sizeof req - 1);
	req[n > 0 ? n : 0] = '\0';
	ok = strncmp(req, want, strlen(want)) == 0;
	if (write(fd, reply, sizeof reply - 1) != (ssize_t)(sizeof reply - 1))
		_exit(3);
	close(fd);
	_exit(ok ? 0 : 1);
}

static void
test_stream(const char *dir)
{
	struct sockaddr_un	 sun;
	struct stream		*s;
	struct pollfd		 pfd;
	struct buf		 lines = { 0 };
	char			*sock = xasprintf("%s/agent.sock", dir);
	int			 lfd, st = -1, rc = 0, rounds;
	pid_t			 pid;

	CHECK("stream-1.1", stream_open(sock, STREAM_KIND_LOGS, "x") == NULL);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("stream-1.2", lfd != -1 &&
	    bind(lfd, (struct sockaddr *)&sun, sizeof sun) == 0 &&
	    listen(lfd, 1) == 0);
	if ((pid = fork()) == 0)
		fake_agent(lfd, "GET " PROTO_PATH_LOGS "?follow=1 HTTP/1.1\r\n");
	close(lfd);
	s = stream_open(sock, STREAM_KIND_LOGS, "inst1");
	CHECK("stream-1.3", s != NULL);
	if (s != NULL) {
		CHECK_STR("stream-1.4", stream_id(s), "inst1");
		CHECK("stream-1.5", stream_fd(s) != -1);
		for (rounds = 0; rc == 0 && rounds < 100; rounds++) {
			pfd.fd = stream_fd(s);
			pfd.events = POLLIN;
			poll(&pfd, 1, 100);
			rc = stream_read(s, on_line, &lines);
		}
		CHECK("stream-1.6", rc == -1);		/* the agent ended it */
		CHECK("stream-1.7", stream_fd(s) == -1);
		CHECK_STR("stream-1.8", lines.data, "{\"a\":1}|{\"b\":2}");
		stream_close(s);
	}
	waitpid(pid, &st, 0);
	CHECK("stream-1.9", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	buf_free(&lines);
	free(sock);
}

static void
test_handler_file(const char *dir)
{
	char	*code = xasprintf("%s/handler", dir), *p, *cause = NULL, *f;

	util_mkdirs(code, 0700);
	p = xasprintf("%s/app.py", code);
	util_write_file(p, "x", 1, &cause);
	free(p);
	p = xasprintf("%s/pkg", code);
	util_mkdirs(p, 0700);
	free(p);
	p = xasprintf("%s/pkg/__init__.py", code);
	util_write_file(p, "x", 1, &cause);
	free(p);
	p = xasprintf("%s/index.mjs", code);
	util_write_file(p, "x", 1, &cause);
	free(p);

	f = fn_handler_file(code, "python3", "app.handler", &cause);
	CHECK("handler-1.1", f != NULL && ends_with(f, "/handler/app.py"));
	free(f);
	f = fn_handler_file(code, "python3", "pkg.handler", &cause);
	CHECK("handler-1.2", f != NULL && ends_with(f, "/handler/pkg/__init__.py"));
	free(f);
	f = fn_handler_file(code, "node", "index.handler", &cause);
	CHECK("handler-1.3", f != NULL && ends_with(f, "/handler/index.mjs"));
	free(f);
	f = fn_handler_file(code, "python3", "nothere.handler", &cause);
	CHECK("handler-1.4", f == NULL);
	CHECK_STR("handler-1.5", cause,
	    "handler 'nothere.handler': the code has no nothere.py");
	free(cause);
	cause = NULL;
	CHECK("handler-1.6", fn_check_handler_file(code, "python3", "app.handler",
	    &cause) == 0);
	CHECK("handler-1.7", fn_check_handler_file(code, "node", "app.handler",
	    &cause) == -1);
	free(cause);
	free(code);
}

/* A count from the store, -1 if the query fails. */
static long long
count_sql(struct store *st, const char *sql)
{
	sqlite3_stmt	*stmt = store_prepare(st, sql);
	long long	 v = -1;

	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* Store one invocation of fn through logs_store, with len bytes of output. */
static int
store_one(struct store *st, struct fn *fn, int status, size_t len)
{
	struct invoke_result	 res;
	char			*cause = NULL;
	int			 rc;

	memset(&res, 0, sizeof res);
	res.status = status;
	res.logs = xmalloc(len + 1);
	memset(res.logs, 'x', len);
	res.logs_len = len;
	snprintf(res.request_id, sizeof res.request_id, "req");
	res.duration_ms = 1;
	rc = logs_store(st, fn, &res, &cause);
	if (rc != 0) {
		fprintf(stderr, "logs_store: %s\n", cause);
		free(cause);
	}
	free(res.logs);
	return rc;
}

/*
 * Bounded state: counters count every invocation, not the rows kept;
 * logs stay under their per-function and host byte caps, oldest dropped
 * first; an instance whose process is gone is not listed as ready.
 */
static void
test_bounded(struct store *st)
{
	char			 cname[] = "c", dname[] = "d";
	struct fn		 c = { .name = cname, .memory_mb = 128, .created = 1 };
	struct fn		 d = { .name = dname, .memory_mb = 128, .created = 1 };
	struct list_fn_show	 show;
	struct list_fn		*fns;
	struct list_fn_stats	 fs;
	struct list_inst	*in;
	char			*cause = NULL, *sql;
	long long		 kept, bytes, oldest;
	int			 i, fails = 0, n;
	pid_t			 dead;

	exec_sql(st, "bound-0.1", "INSERT INTO functions (name, runtime, "
	    "handler, memory_mb, timeout_s, created, updated) VALUES "
	    "('c', 'python3', 'app.handler', 128, 3, 1, 1), "
	    "('d', 'python3', 'app.handler', 128, 3, 1, 1)");

	/* 2,100 invocations, one in ten an error: rows are capped, counts not. */
	for (i = 0; i < FN_LOG_KEEP + 100; i++)
		fails += store_one(st, &c, i % 10 == 0 ? INVOKE_ERROR : INVOKE_OK,
		    10) != 0;
	CHECK("bound-1.1", fails == 0);
	kept = count_sql(st, "SELECT count(*) FROM invocations WHERE fn = 'c'");
	CHECK("bound-1.2", kept >= FN_LOG_KEEP && kept < FN_LOG_KEEP + 64);
	CHECK("bound-1.3", list_fn_show(st, "c", &show, &cause) == 0);
	CHECK("bound-1.4", show.invocations == FN_LOG_KEEP + 100);
	CHECK("bound-1.5", show.errors == (FN_LOG_KEEP + 100) / 10);
	list_fn_show_free(&show);
	CHECK("bound-1.6", list_fns(st, &fns, &n, &cause) == 0);
	for (i = 0; i < n; i++)
		if (strcmp(fns[i].name, "c") == 0)
			CHECK("bound-1.7", fns[i].invocations == FN_LOG_KEEP + 100 &&
			    fns[i].errors == (FN_LOG_KEEP + 100) / 10);
	list_fns_free(fns, n);
	CHECK("bound-1.8", list_fn_stats(st, "c", &fs, &cause) == 0 &&
	    fs.invocations == FN_LOG_KEEP + 100);
	/* The byte counter is the sum of what is kept. */
	CHECK("bound-1.9", count_sql(st, "SELECT log_bytes FROM functions "
	    "WHERE name = 'c'") == count_sql(st, "SELECT sum(length(CAST(log "
	    "AS BLOB))) FROM invocations WHERE fn = 'c'"));

	/* A chatty function stays under logs.fn_bytes, oldest dropped first. */
	setenv("HEARTH_LOGS_FN_BYTES", "256K", 1);
	exec_sql(st, "bound-2.0", "DELETE FROM invocations WHERE fn = 'c'");
	CHECK("bound-2.1", count_sql(st, "SELECT log_bytes FROM functions "
	    "WHERE name = 'c'") == 0);
	for (i = 0; i < 40; i++)
		fails += store_one(st, &c, INVOKE_OK, 60000) != 0;
	CHECK("bound-2.2", fails == 0);
	bytes = count_sql(st, "SELECT sum(length(CAST(log AS BLOB))) FROM "
	    "invocations WHERE fn = 'c'");
	CHECK("bound-2.3", bytes <= 256 * 1024 && bytes > 256 * 1024 - 70000);
	CHECK("bound-2.4", bytes == count_sql(st, "SELECT log_bytes FROM "
	    "functions WHERE name = 'c'"));
	/* The newest are the ones kept: the ids are the last consecutive ones. */
	CHECK("bound-2.5", count_sql(st, "SELECT max(id) - min(id) + 1 - count(*) "
	    "FROM invocations WHERE fn = 'c'") == 0 &&
	    count_sql(st, "SELECT max(id) FROM invocations WHERE fn = 'c'") ==
	    count_sql(st, "SELECT max(id) FROM invocations"));
	CHECK("bound-2.6", list_fn_show(st, "c", &show, &cause) == 0 &&
	    show.invocations == FN_LOG_KEEP + 100 + 40);
	list_fn_show_free(&show);
	/* A record bigger than the cap is still kept: the newest always is. */
	setenv("HEARTH_LOGS_FN_BYTES", "64K", 1);
	CHECK("bound-2.7", store_one(st, &c, INVOKE_OK, 65000) == 0);
	CHECK("bound-2.8", count_sql(st, "SELECT count(*) FROM invocations "
	    "WHERE fn = 'c'") == 1);
	unsetenv("HEARTH_LOGS_FN_BYTES");

	/* The host cap: all functions together, the oldest anywhere first. */
	setenv("HEARTH_LOGS_TOTAL_BYTES", "512K", 1);
	oldest = count_sql(st, "SELECT max(id) FROM invocations WHERE fn = 'c'");
	for (i = 0; i < 20; i++)
		fails += store_one(st, &d, INVOKE_OK, 60000) != 0;
	CHECK("bound-3.1", fails == 0);
	bytes = count_sql(st, "SELECT sum(length(CAST(log AS BLOB))) FROM "
	    "invocations");
	CHECK("bound-3.2", bytes <= 512 * 1024 && bytes > 512 * 1024 - 70000);
	CHECK("bound-3.3", count_sql(st, "SELECT sum(log_bytes) FROM functions") ==
	    bytes);
	/* c's record was older than every one of d's: it went first. */
	sql = xasprintf("SELECT count(*) FROM invocations WHERE id <= %lld", oldest);
	CHECK("bound-3.4", count_sql(st, sql) == 0);
	free(sql);
	CHECK("bound-3.5", count_sql(st, "SELECT max(id) - min(id) + 1 - count(*) "
	    "FROM invocations WHERE fn = 'd'") == 0);
	CHECK("bound-3.6", list_fn_show(st, "c", &show, &cause) == 0 &&
	    show.invocations == FN_LOG_KEEP + 100 + 41);
	list_fn_show_free(&show);
	unsetenv("HEARTH_LOGS_TOTAL_BYTES");

	/*
	 * A ready row whose process is gone (killed from outside, a gc that
	 * could not remove it) lists as gone and counts as no instance.
	 */
	if ((dead = fork()) == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	sql = xasprintf("INSERT INTO instances (id, fn, runtime, driver, state, "
	    "pid, sock, memory_mb, created, last_used) VALUES ('00000000dead', "
	    "'d', 'python3', 'ns', 'ready', %d, '/d.sock', 128, 1, 1)", (int)dead);
	exec_sql(st, "bound-4.0", sql);
	free(sql);
	CHECK("bound-4.1", list_insts(st, &in, &n, &cause) == 0);
	for (i = 0; i < n; i++)
		if (strcmp(in[i].id, "00000000dead") == 0)
			CHECK_STR("bound-4.2", in[i].state, "gone");
	list_insts_free(in, n);
	CHECK("bound-4.3", list_fn_show(st, "d", &show, &cause) == 0 &&
	    show.instances == 0);
	list_fn_show_free(&show);
	CHECK("bound-4.4", list_fns(st, &fns, &n, &cause) == 0);
	for (i = 0; i < n; i++)
		if (strcmp(fns[i].name, "d") == 0)
			CHECK("bound-4.5", fns[i].instances == 0);
	list_fns_free(fns, n);
	exec_sql(st, "bound-4.6", "DELETE FROM instances WHERE id = '00000000dead'");
}

int
main(void)
{
	char			 dir[] = "/tmp/hearth-unit.XXXXXX", *cause = NULL;
	char			*home, *sql, *fn;
	struct store		*st;
	struct list_fn		*fns;
	struct list_fn_show	 show;
	struct list_invocation	*inv;
	struct list_inst	*in, one;
	struct list_sock	*socks;
	struct list_image	*img;
	struct list_event	*ev;
	struct list_summary	 sum;
	struct list_fn_stats	 fs;
	struct logs_rec		*recs;
	long long		 last, first_id;
	uint64_t		 mem;
	double			 now = util_now();
	int			 n, i;

	if (mkdtemp(dir) == NULL)
		return 1;
	home = xasprintf("%s/home", dir);
	setenv("HEARTH_HOME", home, 1);
	st = store_open(home, &cause);
	CHECK("list-0.1", st != NULL);
	if (st == NULL)
		return 1;

	/* An empty store lists nothing. */
	CHECK("list-1.1", list_fns(st, &fns, &n, &cause) == 0 && n == 0);
	list_fns_free(fns, n);
	CHECK("list-1.2", list_insts(st, &in, &n, &cause) == 0 && n == 0);
	list_insts_free(in, n);
	CHECK("list-1.3", list_summary(st, &sum, &cause) == 0 &&
	    sum.functions == 0 && sum.instances == 0 && sum.rate == 0);

	/* Two functions; b was created first, a lists first. */
	exec_sql(st, "list-2.0", "INSERT INTO functions (name, runtime, handler, "
	    "memory_mb, timeout_s, env, version, code_version, code_size, created, "
	    "updated, driver) VALUES "
	    "('b', 'node', 'index.handler', 256, 5, '{}', 1, 1, 10, 1, 1, 'ns'), "
	    "('a', 'python3', 'app.handler', 128, 3, '{\"K\":\"v\"}', 4, 2, 99, "
	    "2, 3, 'auto')");
	/* a: three invocations, the newest failed; two in the last 10 s. */
	sql = xasprintf("INSERT INTO invocations (request_id, fn, ts, status, "
	    "duration_ms, init_ms, max_mem_mb, log) VALUES "
	    "('r1', 'a', %f, 'ok', 30, 100, 20, 'a1\na2\n'), "
	    "('r2', 'a', %f, 'ok', 10, 0, 21, 'b1\nb2\nb3\n'), "
	    "('r3', 'a', %f, 'error', 20, 0, 22, 'c1\n')",
	    now - 100, now - 2, now - 1);
	exec_sql(st, "list-2.1", sql);
	free(sql);
	CHECK("list-2.2", list_fns(st, &fns, &n, &cause) == 0 && n == 2);
	if (n == 2) {
		CHECK_STR("list-2.3", fns[0].name, "a");
		CHECK_STR("list-2.4", fns[1].name, "b");
		CHECK_STR("list-2.5", fns[0].runtime, "python3");
		CHECK_STR("list-2.6", fns[0].handler, "app.handler");
		CHECK_STR("list-2.7", fns[0].driver, "auto");
		CHECK("list-2.8", fns[0].memory_mb == 128 && fns[0].timeout_s == 3 &&
		    fns[0].version == 4);
		CHECK("list-2.9", fns[0].invocations == 3 && fns[0].errors == 1);
		CHECK("list-2.10", fns[0].last_failed == 1 &&
		    fns[0].last_ts > now - 1.5 && fns[0].last_ts < now - 0.5);
		CHECK("list-2.11", fns[1].invocations == 0 && fns[1].errors == 0 &&
		    fns[1].last_failed == 0 && fns[1].last_ts == 0);
		/* Idle since the newest invocation (1 s ago); never invoked: NAN. */
		CHECK("list-2.12", fns[0].idle_s > 0.5 && fns[0].idle_s < 1.5 +
		    (util_now() - now));
		CHECK("list-2.13", isnan(fns[1].idle_s));
	}
	list_fns_free(fns, n);

	/* fn show's row: the function, its code directory and counters. */
	CHECK("list-3.1", list_fn_show(st, "a", &show, &cause) == 0);
	CHECK_STR("list-3.2", show.fn->env, "{\"K\":\"v\"}");
	CHECK("list-3.3", ends_with(show.code_dir, "/home/code/a/v2"));
	CHECK("list-3.4", show.invocations == 3 && show.errors == 1 &&
	    show.instances == 0);
	list_fn_show_free(&show);
	CHECK("list-3.5", list_fn_show(st, "zz", &show, &cause) == -1);
	CHECK_STR("list-3.6", cause, "no function 'zz'");
	free(cause);
	cause = NULL;

	/* Recent invocations, newest first, at most max. */
	CHECK("list-4.1", list_invocations(st, "a", 2, &inv, &n, &cause) == 0 &&
	    n == 2);
	if (n == 2) {
		CHECK_STR("list-4.2", inv[0].request_id, "r3");
		CHECK_STR("list-4.3", inv[0].status, "error");
		CHECK_STR("list-4.4", inv[1].request_id, "r2");
		CHECK("list-4.5", inv[1].duration_ms == 10 && inv[1].max_mem_mb == 21 &&
		    inv[1].init_ms == 0);
	}
	list_invocations_free(inv, n);

	/*
	 * Instances: one of a under a driver this build lacks, one pooled
	 * under ns (its process is not there), one of a still starting.
	 */
	sql = xasprintf("INSERT INTO instances (id, fn, runtime, driver, state, "
	    "pid, sock, memory_mb, fn_version, code_version, created, last_used) "
	    "VALUES ('000000000002', NULL, 'python3', 'ns', 'ready', 0, '/p.sock', "
	    "128, 0, 0, 1, 1), "
	    "('000000000001', 'a', 'python3', 'nosuch', 'ready', 0, '/a.sock', "
	    "128, 4, 2, 2, %f), "
	    "('000000000003', 'a', 'python3', 'nosuch', 'starting', 0, '/s.sock', "
	    "128, 4, 2, 3, 3)", now);
	exec_sql(st, "list-5.0", sql);
	free(sql);
	CHECK("list-5.1", list_insts(st, &in, &n, &cause) == 0 && n == 3);
	if (n == 3) {
		CHECK_STR("list-5.2", in[0].id, "000000000001");
		CHECK_STR("list-5.3", in[1].id, "000000000003");
		CHECK_STR("list-5.4", in[2].id, "000000000002");	/* pool last */
		CHECK("list-5.5", in[2].fn == NULL);
		CHECK_STR("list-5.6", in[0].fn, "a");
		CHECK("list-5.7", !in[0].known && !in[0].alive && !in[0].have_stats);
		CHECK("list-5.8", in[0].start_ms == -1 && in[0].vmm_pid == 0);
		CHECK_STR("list-5.9", in[0].accel, "");
		CHECK("list-5.10", in[2].known && !in[2].alive);
		CHECK_STR("list-5.11", in[2].accel, "-");	/* ns: a sandbox */
		CHECK_STR("list-5.12", in[2].start, "spawn");
		CHECK("list-5.13", ends_with(in[2].console,
		    "/home/run/000000000002/agent.log"));
		CHECK("list-5.14", ends_with(in[0].run_dir, "/home/run/000000000001"));
		CHECK("list-5.15", in[0].fn_version == 4 && in[0].memory_mb == 128 &&
		    in[0].last_used > now - 0.01 && in[0].last_used < now + 0.01);
		CHECK_STR("list-5.16", in[0].sock, "/a.sock");
		CHECK_STR("list-5.17", in[1].state, "starting");
		/* What vm ls and the console both show, worked out once. */
		CHECK_STR("list-5.18.1", in[0].owner, "a");
		CHECK_STR("list-5.18.2", in[2].owner, "(pool)");
		CHECK("list-5.18.3", isnan(in[0].memory_used_mb));	/* no stats */
		CHECK("list-5.18.4", in[2].have_stats ?
		    in[2].memory_used_mb == in[2].mem_bytes / 1048576.0 :
		    isnan(in[2].memory_used_mb));
		CHECK("list-5.18.5", in[0].idle_s >= -0.01 &&
		    in[0].idle_s < util_now() - now + 0.01);
		CHECK("list-5.18.6", in[2].idle_s > now - 2 &&
		    in[2].idle_s < util_now());		/* last used at 1 */
		CHECK("list-5.18.7", in[1].idle_s > now - 4 &&
		    in[1].idle_s < util_now() - 3 + 0.01);	/* at 3 */
	}
	list_insts_free(in, n);
	CHECK("list-5.20", list_inst_get(st, "000000000002", &one, &cause) == 0);
	CHECK_STR("list-5.21", one.driver, "ns");
	CHECK_STR("list-5.22", one.runtime, "python3");
	CHECK_STR("list-5.22.1", one.owner, "(pool)");
	list_inst_free(&one);
	CHECK("list-5.23", list_inst_get(st, "nope", &one, &cause) == -1);
	CHECK_STR("list-5.24", cause, "no instance 'nope' (see 'hearth vm ls')");
	free(cause);
	cause = NULL;

	/* The function an instance runs. */
	fn = list_inst_fn(st, "000000000001");
	CHECK_STR("list-6.1", fn, "a");
	free(fn);
	CHECK("list-6.2", list_inst_fn(st, "000000000002") == NULL);
	CHECK("list-6.3", list_inst_fn(st, "nope") == NULL);
	/* Memory is asked of the instance's own driver: none here. */
	CHECK("list-6.4", list_inst_mem(st, "000000000001", &mem) == -1);
	CHECK("list-6.5", list_inst_mem(st, "nope", &mem) == -1);

	/*
	 * Sockets of a function's instances that have one: ready, or still
	 * starting (a follower wants a new instance's first invocation).
	 */
	CHECK("list-7.1", list_fn_socks(st, "a", &socks, &n) == 0 && n == 2);
	for (i = 0; i < n; i++)
		if (strcmp(socks[i].id, "000000000001") == 0)
			CHECK_STR("list-7.3", socks[i].sock, "/a.sock");
		else
			CHECK_STR("list-7.2", socks[i].sock, "/s.sock");
	list_socks_free(socks, n);
	exec_sql(st, "list-7.5", "UPDATE instances SET sock = '' WHERE "
	    "id = '000000000003'");
	CHECK("list-7.6", list_fn_socks(st, "a", &socks, &n) == 0 && n == 1);
	list_socks_free(socks, n);
	exec_sql(st, "list-7.7", "UPDATE instances SET sock = '/s.sock' WHERE "
	    "id = '000000000003'");
	CHECK("list-7.4", list_fn_socks(st, "b", &socks, &n) == 0 && n == 0);
	list_socks_free(socks, n);

	/* Images, by name. */
	exec_sql(st, "list-8.0", "INSERT INTO images VALUES "
	    "('z', 'node', '/z.img', 2097152, 5), "
	    "('m', 'python3', '/m.img', 1048576, 6)");
	CHECK("list-8.1", list_images(st, &img, &n, &cause) == 0 && n == 2);
	if (n == 2) {
		CHECK_STR("list-8.2", img[0].name, "m");
		CHECK("list-8.3", img[0].size == 1048576 && img[0].built == 6);
		CHECK_STR("list-8.4", img[1].path, "/z.img");
		CHECK("list-8.5", img[0].size_mb == 1.0 && img[1].size_mb == 2.0);
	}
	list_images_free(img, n);

	/* Events with invocations among them, newest first. */
	sql = xasprintf("INSERT INTO events (ts, kind, subject, detail) VALUES "
	    "(%f, 'created', 'a', 'python3 app.handler')", now - 50);
	exec_sql(st, "list-9.0", sql);
	free(sql);
	CHECK("list-9.1", list_events(st, 3, &ev, &n, &cause) == 0 && n == 3);
	if (n == 3) {
		CHECK_STR("list-9.2", ev[0].kind, "errored");
		CHECK_STR("list-9.3", ev[0].detail, "r3 20.00ms (error)");
		CHECK_STR("list-9.4", ev[1].kind, "invoked");
		CHECK_STR("list-9.5", ev[1].detail, "r2 10.00ms");
		CHECK_STR("list-9.6", ev[2].kind, "created");
		CHECK_STR("list-9.7", ev[2].subject, "a");
	}
	list_events_free(ev, n);

	/*
	 * The header: two functions, 2 invocations / 10 s, and of the three
	 * instance rows only the one still starting: the other two have no
	 * process (a driver this build lacks, a pool row with none).
	 */
	CHECK("list-10.1", list_summary(st, &sum, &cause) == 0);
	CHECK("list-10.2", sum.functions == 2 && sum.instances == 1);
	CHECK("list-10.3", sum.rate > 0.19 && sum.rate < 0.21);

	/* Per-function figures: count, rate, percentiles of 10, 20, 30 ms. */
	CHECK("list-11.1", list_fn_stats(st, "a", &fs, &cause) == 0);
	CHECK("list-11.2", fs.invocations == 3);
	CHECK("list-11.3", fs.rate > 0.19 && fs.rate < 0.21);
	CHECK("list-11.4", fs.p50 == 20 && fs.p99 == 30);
	CHECK("list-11.5", list_fn_stats(st, "b", &fs, &cause) == 0 &&
	    fs.invocations == 0 && fs.p50 == 0 && fs.p99 == 0);

	/* Logs: the last 3 lines cut the oldest invocation kept. */
	CHECK("logs-1.1", logs_tail(st, "a", 3, &recs, &n, &last, &cause) == 0);
	CHECK("logs-1.2", n == 2);
	if (n == 2) {
		CHECK_STR("logs-1.3", recs[0].text, "b2\nb3\n");
		CHECK("logs-1.4", recs[0].len == 6);
		CHECK_STR("logs-1.5", recs[0].request_id, "r2");
		CHECK_STR("logs-1.6", recs[1].text, "c1\n");
		CHECK("logs-1.7", last == recs[1].id && recs[0].id < recs[1].id);
	}
	logs_recs_free(recs, n);
	/* Exactly 4 lines in the last two: nothing is cut. */
	CHECK("logs-1.8", logs_tail(st, "a", 4, &recs, &n, &last, &cause) == 0 &&
	    n == 2);
	if (n == 2)
		CHECK_STR("logs-1.9", recs[0].text, "b1\nb2\nb3\n");
	logs_recs_free(recs, n);
	CHECK("logs-2.1", logs_tail(st, "a", -1, &recs, &n, &last, &cause) == 0 &&
	    n == 3);
	first_id = n == 3 ? recs[0].id : 0;
	if (n == 3)
		CHECK_STR("logs-2.2", recs[0].text, "a1\na2\n");
	logs_recs_free(recs, n);
	CHECK("logs-2.3", logs_tail(st, "a", 0, &recs, &n, &last, &cause) == 0 &&
	    n == 0 && last == 0);
	logs_recs_free(recs, n);
	CHECK("logs-2.4", logs_tail(st, "b", 10, &recs, &n, &last, &cause) == 0 &&
	    n == 0 && last == 0);
	logs_recs_free(recs, n);

	/* Following: what came after an id, oldest first, at most max. */
	CHECK("logs-3.1", logs_since(st, "a", first_id, 0, &recs, &n, &cause) == 0 &&
	    n == 2);
	if (n == 2) {
		CHECK_STR("logs-3.2", recs[0].request_id, "r2");
		CHECK_STR("logs-3.3", recs[1].request_id, "r3");
	}
	logs_recs_free(recs, n);
	CHECK("logs-3.4", logs_since(st, "a", first_id, 1, &recs, &n, &cause) == 0 &&
	    n == 1);
	if (n == 1)
		CHECK_STR("logs-3.5", recs[0].request_id, "r2");
	logs_recs_free(recs, n);
	CHECK("logs-3.6", logs_start_id(st, "a", 2) == first_id);
	CHECK("logs-3.7", logs_start_id(st, "a", 20) == 0);
	CHECK("logs-3.8", logs_start_id(st, NULL, 0) == first_id + 2);
	CHECK("logs-3.9", logs_fn_exists(st, "a") && !logs_fn_exists(st, "zz"));
	CHECK_STR("logs-3.10", store_dir(st) + strlen(store_dir(st)) -
	    5, "/home");

	/* The one masking rule, fn show's and the console's. */
	CHECK("mask-1.1", list_env_secret("SECRET_TOKEN") && list_env_secret("db_password") &&
	    list_env_secret("AWS_ACCESS_KEY_ID") && list_env_secret("Authorization"));
	CHECK("mask-1.2", !list_env_secret("STAGE") && !list_env_secret("TZ"));
	sql = list_env_masked("{\"SECRET_TOKEN\":\"abc\",\"STAGE\":\"dev\"}");
	CHECK_STR("mask-1.3", sql, "{\"SECRET_TOKEN\":\"********\",\"STAGE\":\"dev\"}");
	free(sql);
	sql = list_env_masked("{}");
	CHECK_STR("mask-1.4", sql, "{}");
	free(sql);
	sql = list_env_masked("not json");
	CHECK_STR("mask-1.5", sql, "not json");
	free(sql);

	test_handler_file(dir);
	test_stream(dir);
	test_bounded(st);

	store_close(st);
	util_rmtree(dir);
	free(home);
	CHECK_DONE();
}
