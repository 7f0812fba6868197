/*
 * lambda.c — what AWS Lambda's execution environment looks like, as far
 * as a function can tell.
 *
 * hearth runs Lambda handlers unchanged, so a runtime must find what
 * Lambda gives it: the AWS_LAMBDA_* and LAMBDA_* variables, a region, a
 * /tmp of Lambda's size, CPU in proportion to memory, a request id in
 * UUID form, and failures reported as Lambda reports them — a JSON object
 * with an errorType (Runtime.OutOfMemory, Sandbox.Failure) and an
 * errorMessage that starts "RequestId: ... Error: ...".  Everything here
 * is a function of its arguments, the settings lambda.region and
 * lambda.account_id, the host's core count and the date.
 *
 * The environment is the host's part of it; the image adds what only it
 * knows (AWS_EXECUTION_ENV, its runtime's version), and the agent keeps
 * the last value of a key it is given, so a function's own TZ, LANG,
 * PATH, LD_LIBRARY_PATH, NODE_PATH or PYTHONPATH replaces hearth's
 * default.  The keys Lambda reserves never come from the function
 * (fn_valid_env_name refuses them; one stored before that is skipped).
 */
#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "esc.h"
#include "inst.h"
#include "proto.h"

#define LAMBDA_MB_PER_CPU	1769	/* memory that buys a whole core */

/* Defaults a function may replace with its own value. */
static const char *const lambda_defaults[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin",
	"LANG=C.UTF-8",
	"TZ=:UTC",
	"HOME=/tmp",
	"PYTHONUNBUFFERED=1",
	"PYTHONDONTWRITEBYTECODE=1",
};

/*
 * Write the log stream name of an instance configured now to out (80
 * bytes), in Lambda's shape: the UTC date, the version, and 32 hex digits
 * — here the instance id, then random ones, so that an operator can tell
 * the instance from its stream and a reconfigured instance (on Lambda, a
 * new execution environment) starts a stream of its own.
 */
static void
lambda_log_stream(const char *id, char *out, size_t len)
{
	char		 hex[33];
	time_t		 now = time(NULL);
	struct tm	 tm;

	util_random_hex(hex, sizeof hex);
	memcpy(hex, id, strlen(id) < 32 ? strlen(id) : 32);
	gmtime_r(&now, &tm);
	snprintf(out, len, "%04d/%02d/%02d/[$LATEST]%s", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, hex);
}

/*
 * Build the runtime's environment for fn, on instance id, as "KEY=VALUE\n"
 * lines, and the agent's line with the function's ARN.
 */
void
lambda_env(const struct fn *fn, const char *id, struct buf *b)
{
	const char	*region = config_get("lambda.region");
	cJSON		*env, *it;
	char		 stream[80], *err = NULL;
	size_t		 i, klen;

	if ((env = cJSON_Parse(fn->env)) != NULL && !cJSON_IsObject(env)) {
		cJSON_Delete(env);
		env = NULL;
	}
	lambda_log_stream(id, stream, sizeof stream);
	buf_printf(b, "_HANDLER=%s\n", fn->handler);
	buf_printf(b, "AWS_LAMBDA_FUNCTION_NAME=%s\n", fn->name);
	buf_printf(b, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d\n", fn->memory_mb);
	buf_printf(b, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST\n");
	buf_printf(b, "AWS_LAMBDA_FUNCTION_TIMEOUT=%d\n", fn->timeout_s);
	/* provisioned-concurrency once an operator can provision instances */
	buf_printf(b, "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand\n");
	buf_printf(b, "AWS_LAMBDA_LOG_STREAM_NAME=%s\n", stream);
	buf_printf(b, "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s\n", fn->name);
	buf_printf(b, "AWS_REGION=%s\nAWS_DEFAULT_REGION=%s\n", region, region);
	buf_printf(b, "LAMBDA_TASK_ROOT=/var/task\nLAMBDA_RUNTIME_DIR=/opt/hearth\n");
	for (i = 0; i < nitems(lambda_defaults); i++) {
		klen = strcspn(lambda_defaults[i], "=");
		it = NULL;
		if (env != NULL)
			cJSON_ArrayForEach(it, env)
				if (strlen(it->string) == klen && strncmp(it->string,
				    lambda_defaults[i], klen) == 0)
					break;
		if (it == NULL)
			buf_printf(b, "%s\n", lambda_defaults[i]);
	}
	if (env != NULL) {
		cJSON_ArrayForEach(it, env) {
			if (!cJSON_IsString(it) ||
			    fn_valid_env_name(it->string, &err) != 0 ||
			    fn_valid_env_value(it->valuestring, &err) != 0) {
				free(err);	/* reserved: hearth's value stands */
				err = NULL;
				continue;
			}
			buf_printf(b, "%s=%s\n", it->string, it->valuestring);
		}
		cJSON_Delete(env);
	}
	buf_printf(b, PROTO_ENV_FUNCTION_ARN "=arn:aws:lambda:%s:%s:function:%s\n",
	    region, config_get("lambda.account_id"), fn->name);
}

/*
 * CPU for a memory size, as Lambda allots it: one core up to 1,769 MB,
 * then in proportion (a sandbox's quota, a microVM's vCPUs), never more
 * than the host has.
 */
int
lambda_cpu_milli(int memory_mb)
{
	long	cores = sysconf(_SC_NPROCESSORS_ONLN), milli;

	milli = (long)memory_mb * 1000 / LAMBDA_MB_PER_CPU;
	if (milli < 1000)
		milli = 1000;
	if (cores > 0 && milli > cores * 1000)
		milli = cores * 1000;
	return (int)milli;
}

/* Write a new random (version 4) UUID to out, which holds 37 bytes. */
void
lambda_request_id(char *out)
{
	char	hex[33];

	util_random_hex(hex, sizeof hex);
	hex[12] = '4';				/* version 4 */
	hex[16] = "89ab"[hex[16] % 4];		/* RFC 4122 variant */
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
}

/*
 * Return a Lambda error body, {"errorType": type, "errorMessage":
 * message}, as a new string; its length goes to *lenp.
 */
char *
lambda_error(const char *type, const char *message, size_t *lenp)
{
	struct buf	b = { 0 };

	buf_addstr(&b, "{\"errorType\": ");
	esc_json_string(&b, type, strlen(type));
	buf_addstr(&b, ", \"errorMessage\": ");
	esc_json_string(&b, message, strlen(message));
	buf_addstr(&b, "}");
	*lenp = b.len;
	return b.data;
}

/* Return the error body of an invocation killed for using over memory_mb. */
char *
lambda_oom_error(const char *request_id, int memory_mb, size_t *lenp)
{
	char	*msg, *body;

	msg = xasprintf("RequestId: %s Error: Runtime exited with error: "
	    "signal: killed (out of memory: the function used more than its "
	    "%d MB)", request_id, memory_mb);
	body = lambda_error("Runtime.OutOfMemory", msg, lenp);
	free(msg);
	return body;
}
