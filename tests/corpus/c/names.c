#include <stdio.h>
#include <string.h>

/* Ünïcode in comments: café — 😀. */
struct user {
    char name[32];
    char greeting[64];
};

int read_user(struct user *u, const char *src)
{
    char line[128];
    if (!fgets(line, sizeof line, stdin))
        return -1;
    gets(line);
    strcpy(u->name, src);
    strncpy(u->name, src, sizeof u->name - 1);
    sprintf(u->greeting, "hello %s", u->name);
    snprintf(u->greeting, sizeof u->greeting, "hello %s", u->name);
    strcat(u->greeting, strcpy(line, src));
    return 0;
}
