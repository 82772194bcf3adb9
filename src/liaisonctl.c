/*
 * liaisonctl.c -- the admin command's main: its options and which command
 * file runs each command (ctl_token.c, ctl_roster.c, ctl_ledger.c,
 * ctl_digest.c; ctl.c holds what they share), and roster check. It talks
 * to Redis synchronously; it is a command, not the loop.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison.h"
#include "ctl.h"

/* The configuration file: -c, or the installed one. */
static const char *liaisonctl_config_path =
    SYSCONFDIR "/liaisond/liaisond.conf";

/* The synopsis of every command, on standard error. */
static void
liaisonctl_usage(void)
{
	fprintf(stderr,
	    "usage: liaisonctl [-c file] token issue officer|department|admin ID\n"
	    "           [--link | --qr | --svg]\n"
	    "       liaisonctl [-c file] token revoke TOKEN\n"
	    "       liaisonctl roster check FILE\n"
	    "       liaisonctl roster import|export ... (see liaisonctl(1))\n"
	    "       liaisonctl [-c file] ledger export [--period P] -o FILE\n"
	    "       liaisonctl [-c file] digest [status] --week YYYY-Www\n"
	    "       liaisonctl [-c file] visits import FILE.csv [--dry-run]\n"
	    "       liaisonctl [-c file] seed fieldwork [--months N] [--seed N] [--batch N]\n"
	    "       liaisonctl -V\n");
}

/*
 * roster check FILE: validate and summarise; needs no configuration. (The
 * other roster commands are ctl_roster.c's.)
 */
static int
liaisonctl_roster_check(const char *path)
{
	struct roster *r;
	char *cause = NULL;

	if ((r = roster_load(path, &cause)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", cause);
		free(cause);
		return 1;
	}
	printf("%s: ok: %zu officers, %zu enterprises, %zu departments, "
	    "%zu topics\n", path, r->nofficers, r->nenterprises,
	    r->ndepartments, r->ntopics);
	roster_free(r);
	return 0;
}

/* liaisonctl [-c file] COMMAND ...: exit 0, 1 on failure, 2 on misuse. */
int
main(int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "+c:hV")) != -1) {
		switch (ch) {
		case 'c':
			liaisonctl_config_path = optarg;
			break;
		case 'V':
			printf("liaisonctl %s\n", LIAISON_VERSION);
			return 0;
		case 'h':
			liaisonctl_usage();
			return 0;
		default:
			liaisonctl_usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	xmalloc_init_cjson();

	if (argc == 4 && strcmp(argv[0], "token") == 0 &&
	    strcmp(argv[1], "issue") == 0)
		return ctl_token_issue(liaisonctl_config_path, argv[2],
		    argv[3], CTL_TOKEN_PLAIN);
	if (argc == 5 && strcmp(argv[0], "token") == 0 &&
	    strcmp(argv[1], "issue") == 0 && (strcmp(argv[4], "--link") == 0 ||
	    strcmp(argv[4], "--qr") == 0 || strcmp(argv[4], "--svg") == 0))
		return ctl_token_issue(liaisonctl_config_path, argv[2],
		    argv[3], argv[4][2] == 'l' ? CTL_TOKEN_LINK :
		    argv[4][2] == 'q' ? CTL_TOKEN_QR : CTL_TOKEN_SVG);
	if (argc == 3 && strcmp(argv[0], "token") == 0 &&
	    strcmp(argv[1], "revoke") == 0)
		return ctl_token_revoke(liaisonctl_config_path, argv[2]);
	if (argc == 3 && strcmp(argv[0], "roster") == 0 &&
	    strcmp(argv[1], "check") == 0)
		return liaisonctl_roster_check(argv[2]);
	if (argc >= 2 && strcmp(argv[0], "roster") == 0 &&
	    strcmp(argv[1], "import") == 0)
		return ctl_roster_import(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "roster") == 0 &&
	    strcmp(argv[1], "export") == 0)
		return ctl_roster_export(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "ledger") == 0 &&
	    strcmp(argv[1], "export") == 0)
		return ctl_ledger_export(liaisonctl_config_path, argc - 1,
		    argv + 1);
	if (argc >= 2 && strcmp(argv[0], "visits") == 0 &&
	    strcmp(argv[1], "import") == 0)
		return ctl_visits_import(liaisonctl_config_path, argc - 1,
		    argv + 1);
	if (argc >= 2 && strcmp(argv[0], "seed") == 0 &&
	    strcmp(argv[1], "fieldwork") == 0)
		return ctl_seed(liaisonctl_config_path, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "digest") == 0 &&
	    (ch = ctl_digest(liaisonctl_config_path, argc - 1,
	    argv + 1)) != 2)
		return ch;
	liaisonctl_usage();
	return 2;
}
