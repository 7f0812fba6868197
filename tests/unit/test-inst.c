/*
 * test-inst.c — the instance manager on a temp store with real ns
 * sandboxes: an invoke starts an instance and the next one reuses it warm,
 * reload swaps the code of the warm instance and code only moves forward
 * (a caller holding an old copy of the function neither moves an instance
 * back nor starts one on old code), gc removes a row whose VM is
 * gone, the janitor applies the lifecycle table (a row 'starting' whose
 * owner died goes, VM or not; one whose owner lives stays; a 'gone' one
 * and a run directory no row names go), destroy ends one, and
 * Lambda's environment and error shapes.  Every process it starts is
 * checked gone, by pid, and killed if not.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fixture.h"
#include "check.h"

int
main(void)
{
	char			 dir[] = "/tmp/hearth-unit.XXXXXX", *cause = NULL;
	char			*code, *rundir, *sql, *body, *saved;
	const char		*p;
	struct buf		 env = { 0 };
	size_t			 len;
	cJSON			*j;
	struct store		*st;
	struct fn		*fn, *stale;
	struct invoke_result	 res;
	struct inst		*in, *again;
	const struct vm_driver	*ns = vm_driver_find("ns");
	pid_t			 pid;
	int			 rc, lockfd, heldfd;

	if (mkdtemp(dir) == NULL)
		return 1;
	fixture_env(dir, "0");
	pool_set_refill(0);
	if ((st = store_open(store_home_default(), &cause)) == NULL) {
		fprintf(stderr, "store_open: %s\n", cause);
		return 1;
	}
	fn = fixture_fn(st, "f", "python3", "return 'v1 ' + os.environ['GREETING'] + ' ' + "
	    "os.environ['AWS_LAMBDA_FUNCTION_NAME']");

	/* inst-1: a first invoke starts an instance; it is f's and ready. */
	rc = invoke_run(st, fn, "{}", 2, &res, &cause);
	CHECK("inst-1.1", rc == 0);
	if (rc != 0)
		fprintf(stderr, "invoke_run: %s\n", cause);
	CHECK("inst-1.2", res.status == INVOKE_OK && res.cold == 1);
	CHECK_STR("inst-1.3", res.body, "\"v1 hi f\"");
	CHECK("inst-1.4", strlen(res.request_id) == 36 && res.request_id[14] == '4');
	invoke_result_free(&res);
	in = fixture_only(st, "f");
	CHECK("inst-1.5", in != NULL && strcmp(in->state, "ready") == 0 &&
	    in->pid > 0 && in->fn_version == 1 && in->code_version == 1);
	CHECK("inst-1.6", in != NULL && ns->alive(in->id, in->pid));
	CHECK("inst-1.7", fixture_int(st, "SELECT count(*) FROM instances") == 1);

	/* inst-2: the next invoke reuses it warm. */
	rc = invoke_run(st, fn, "{}", 2, &res, &cause);
	CHECK("inst-2.1", rc == 0 && res.status == INVOKE_OK && res.cold == 0);
	CHECK_STR("inst-2.2", res.body, "\"v1 hi f\"");
	invoke_result_free(&res);
	again = fixture_only(st, "f");
	CHECK("inst-2.3", in != NULL && again != NULL &&
	    strcmp(again->id, in->id) == 0 && again->pid == in->pid);
	CHECK("inst-2.4", fixture_int(st, "SELECT count(*) FROM instances") == 1);
	inst_free(again);

	/* inst-3: reload brings the warm instance to code version 2 in place. */
	code = fn_code_dir(st, "f", 2);
	fixture_code(code, "return 'v2'");
	free(code);
	CHECK("inst-3.1", store_exec(st, "UPDATE functions SET version = 2, "
	    "code_version = 2 WHERE name = 'f'", &cause) == 0);
	fn_free(fn);
	fn = fn_load(st, "f", &cause);
	CHECK("inst-3.2", fn != NULL && fn->code_version == 2);
	CHECK("inst-3.3", inst_reload(st, fn, &cause) == 0);
	again = fixture_only(st, "f");
	CHECK("inst-3.4", in != NULL && again != NULL &&
	    strcmp(again->id, in->id) == 0 && again->pid == in->pid &&
	    again->code_version == 2 && again->fn_version == 2);
	inst_free(again);
	/* The same sandbox, a new runtime: a cold start (issue 11). */
	rc = invoke_run(st, fn, "{}", 2, &res, &cause);
	CHECK("inst-3.5", rc == 0 && res.status == INVOKE_OK && res.cold == 1 &&
	    res.init_ms > 0);
	CHECK_STR("inst-3.6", res.body, "\"v2\"");
	invoke_result_free(&res);

	/*
	 * inst-3b: code only moves forward.  A caller that read f before the
	 * update leaves the instance on v2, and a new instance it starts gets
	 * the current version, not the one its copy names.
	 */
	stale = fn_load(st, "f", &cause);
	stale->version = stale->code_version = 1;
	again = fixture_only(st, "f");
	CHECK("inst-3b.1", again != NULL &&
	    inst_bring_current(st, again, stale, 1, &cause) == 0 &&
	    again->code_version == 2 && again->fn_version == 2);
	inst_free(again);
	again = fixture_only(st, "f");
	CHECK("inst-3b.2", again != NULL && again->code_version == 2 &&
	    again->fn_version == 2);
	inst_free(again);
	rc = invoke_run(st, stale, "{}", 2, &res, &cause);
	CHECK("inst-3b.3", rc == 0 && res.status == INVOKE_OK && res.cold == 0);
	CHECK_STR("inst-3b.4", res.body, "\"v2\"");
	invoke_result_free(&res);
	again = inst_spawn(st, "python3", "ns", stale, &cause);
	CHECK("inst-3b.5", again != NULL && again->code_version == 2);
	if (again != NULL) {
		fixture_note_pid(again->pid);
		CHECK("inst-3b.6", fixture_int(st, "SELECT code_version FROM "
		    "instances WHERE state = 'starting'") == 2);
		inst_kill(st, again);
		inst_free(again);
	}
	fn_free(stale);

	/* inst-4: a sandbox killed from outside is gone; gc removes its row. */
	if (in != NULL) {
		kill(in->pid, SIGKILL);
		CHECK("inst-4.1", fixture_gone(in->pid));
		inst_gc(st);
		CHECK("inst-4.2", fixture_int(st, "SELECT count(*) FROM instances") == 0);
		CHECK("inst-4.3", fixture_int(st, "SELECT count(*) FROM events WHERE "
		    "kind = 'reaped' AND detail = 'f: gone (idle TTL or killed)'") == 1);
		rundir = inst_run_dir(st, in->id);
		CHECK("inst-4.4", access(rundir, F_OK) == -1 && errno == ENOENT);
		free(rundir);
		inst_free(in);
	}

	/*
	 * inst-5: the janitor applies inst_states.  A row 'starting' whose
	 * owner file nobody holds (its owner died: a client killed in a cold
	 * start) goes at once, VM or not, and one with no owner file once it
	 * is older than a start may take; one whose owner holds the lock
	 * stays; a 'gone' one (its destroy failed) is destroyed again; a run
	 * directory no row names goes unless its owner file is held.
	 */
	sql = xasprintf("INSERT INTO instances (id, fn, runtime, driver, state, "
	    "pid, sock, memory_mb, created, last_used) VALUES "
	    "('0000000000aa', 'f', 'python3', 'ns', 'starting', 0, '', 128, "
	    "%.0f, 0), ('0000000000bb', 'f', 'python3', 'ns', 'starting', 0, '', "
	    "128, %.0f, 0), ('0000000000cc', 'f', 'python3', 'ns', 'gone', 0, "
	    "'', 128, %.0f, 0), ('0000000000ff', 'f', 'python3', 'ns', "
	    "'starting', 0, '', 128, %.0f, 0)", util_now() - 100000, util_now(),
	    util_now(), util_now());
	CHECK("inst-5.1", store_exec(st, sql, &cause) == 0);
	free(sql);
	rundir = xasprintf("%s/run/0000000000bb.owner", st->home);
	lockfd = open(rundir, O_RDWR | O_CREAT, 0600);
	CHECK("inst-5.0", lockfd != -1 && flock(lockfd, LOCK_EX) == 0);
	free(rundir);
	rundir = xasprintf("%s/run/0000000000dd", st->home);
	CHECK("inst-5.01", mkdir(rundir, 0700) == 0);
	free(rundir);
	rundir = xasprintf("%s/run/0000000000ee.owner", st->home);
	heldfd = open(rundir, O_RDWR | O_CREAT, 0600);
	CHECK("inst-5.02", heldfd != -1 && flock(heldfd, LOCK_EX) == 0);
	free(rundir);
	inst_gc(st);
	CHECK("inst-5.2", fixture_int(st, "SELECT count(*) FROM instances "
	    "WHERE id = '0000000000aa'") == 0);
	CHECK("inst-5.3", fixture_int(st, "SELECT count(*) FROM instances "
	    "WHERE id = '0000000000bb'") == 1);
	CHECK("inst-5.4", fixture_int(st, "SELECT count(*) FROM instances "
	    "WHERE id = '0000000000cc'") == 0);
	/* No owner file, young: an older hearth may be starting it. */
	CHECK("inst-5.41", fixture_int(st, "SELECT count(*) FROM instances "
	    "WHERE id = '0000000000ff'") == 1);
	CHECK("inst-5.42", inst_destroy(st, "0000000000ff", &cause) == 0);
	rundir = xasprintf("%s/run/0000000000dd", st->home);
	CHECK("inst-5.5", access(rundir, F_OK) == -1 && errno == ENOENT);
	free(rundir);
	rundir = xasprintf("%s/run/0000000000ee.owner", st->home);
	CHECK("inst-5.6", access(rundir, F_OK) == 0);
	close(heldfd);
	inst_gc(st);
	CHECK("inst-5.7", access(rundir, F_OK) == -1 && errno == ENOENT);
	free(rundir);
	/* Its owner lets go without making it ready: it died, in effect. */
	close(lockfd);
	inst_gc(st);
	CHECK("inst-5.8", fixture_int(st, "SELECT count(*) FROM instances") == 0);
	CHECK("inst-5.9", fixture_int(st, "SELECT count(*) FROM events WHERE "
	    "kind = 'reaped' AND detail = 'f: its owner died while starting "
	    "it'") == 2);

	/* inst-6: destroy ends one instance, by id; an unknown id is an error. */
	rc = invoke_run(st, fn, "{}", 2, &res, &cause);
	CHECK("inst-6.2", rc == 0 && res.status == INVOKE_OK && res.cold == 1);
	invoke_result_free(&res);
	in = fixture_only(st, "f");
	CHECK("inst-6.3", in != NULL);
	if (in != NULL) {
		pid = in->pid;
		CHECK("inst-6.4", inst_destroy(st, in->id, &cause) == 0);
		CHECK("inst-6.5", fixture_gone(pid));
		CHECK("inst-6.6", !ns->alive(in->id, pid));
		rundir = inst_run_dir(st, in->id);
		CHECK("inst-6.7", access(rundir, F_OK) == -1 && errno == ENOENT);
		free(rundir);
		inst_free(in);
	}
	CHECK("inst-6.8", fixture_int(st, "SELECT count(*) FROM instances") == 0);
	cause = NULL;
	CHECK("inst-6.9", inst_destroy(st, "nosuchid", &cause) == -1);
	CHECK_STR("inst-6.10", cause, "no instance 'nosuchid'");
	free(cause);

	/* inst-7: a handler that raises is an error result, Lambda's shape. */
	code = fn_code_dir(st, "f", 3);
	fixture_code(code, "raise ValueError('bad')");
	free(code);
	CHECK("inst-7.1", store_exec(st, "UPDATE functions SET version = 3, "
	    "code_version = 3 WHERE name = 'f'", &cause) == 0);
	fn_free(fn);
	fn = fn_load(st, "f", &cause);
	rc = invoke_run(st, fn, "{}", 2, &res, &cause);
	CHECK("inst-7.2", rc == 0 && res.status == INVOKE_ERROR);
	j = res.body != NULL ? cJSON_Parse(res.body) : NULL;
	CHECK_STR("inst-7.3", cJSON_GetStringValue(cJSON_GetObjectItem(j,
	    "errorType")), "ValueError");
	CHECK_STR("inst-7.4", cJSON_GetStringValue(cJSON_GetObjectItem(j,
	    "errorMessage")), "bad");
	cJSON_Delete(j);
	invoke_result_free(&res);
	in = fixture_only(st, "f");
	CHECK("inst-7.5", in != NULL && strcmp(in->state, "ready") == 0);
	inst_free(in);
	CHECK("inst-7.6", inst_destroy_fn(st, "f") == 1);
	CHECK("inst-7.7", fixture_int(st, "SELECT count(*) FROM instances") == 0);

	/* inst-8: Lambda's shapes, which runtimes and callers parse. */
	lambda_env(fn, "0123456789ab", &env);
	CHECK("inst-8.1", strstr(env.data, "\nAWS_LAMBDA_FUNCTION_NAME=f\n") != NULL);
	/* YYYY/MM/DD/[$LATEST] and 32 hex digits, the instance id first. */
	CHECK("inst-8.2", (p = strstr(env.data, "\nAWS_LAMBDA_LOG_STREAM_NAME="))
	    != NULL && strncmp(p + 38, "/[$LATEST]0123456789ab", 22) == 0 &&
	    strspn(p + 60, "0123456789abcdef") == 20 && p[80] == '\n');
	CHECK("inst-8.3", strstr(env.data, "\nGREETING=hi\n") != NULL);
	CHECK("inst-8.4", strncmp(env.data, "_HANDLER=app.handler\n", 21) == 0);
	CHECK("inst-8.4a", strstr(env.data, "\nAWS_REGION=us-east-1\n") != NULL &&
	    strstr(env.data, "\nAWS_LAMBDA_INITIALIZATION_TYPE=on-demand\n") != NULL &&
	    strstr(env.data, "\nTZ=:UTC\n") != NULL && strstr(env.data,
	    "\nHEARTH_FUNCTION_ARN=arn:aws:lambda:us-east-1:000000000000:"
	    "function:f\n") != NULL);
	buf_free(&env);
	/* The function's TZ replaces the default; a reserved key never lands. */
	saved = fn->env;
	fn->env = (char *)"{\"TZ\":\"JST-9\",\"AWS_REGION\":\"eu-west-1\"}";
	lambda_env(fn, "0123456789ab", &env);
	CHECK("inst-8.4b", strstr(env.data, "\nTZ=JST-9\n") != NULL &&
	    strstr(env.data, "TZ=:UTC") == NULL &&
	    strstr(env.data, "eu-west-1") == NULL);
	fn->env = saved;
	buf_free(&env);
	body = lambda_oom_error("r-1", 128, &len);
	CHECK_STR("inst-8.5", body, "{\"errorType\": \"Runtime.OutOfMemory\", "
	    "\"errorMessage\": \"RequestId: r-1 Error: Runtime exited with error: "
	    "signal: killed (out of memory: the function used more than its "
	    "128 MB)\"}");
	CHECK("inst-8.6", len == strlen(body));
	free(body);
	body = lambda_error("Sandbox.Failure", "said \"no\"\n", &len);
	j = cJSON_Parse(body);
	CHECK_STR("inst-8.7", cJSON_GetStringValue(cJSON_GetObjectItem(j,
	    "errorMessage")), "said \"no\"\n");
	cJSON_Delete(j);
	free(body);
	CHECK("inst-8.8", lambda_cpu_milli(128) == 1000);
	CHECK("inst-8.9", lambda_cpu_milli(1 << 20) ==
	    1000 * (int)sysconf(_SC_NPROCESSORS_ONLN));

	/* inst-9: every VM this test started is gone (killed if not). */
	CHECK("inst-9.1", fixture_npids == 4);
	CHECK("inst-9.2", fixture_sweep(st) == 0);
	fn_free(fn);
	conn_close_all();
	store_close(st);
	util_rmtree(dir);
	CHECK_DONE();
}
