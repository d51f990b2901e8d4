#include <cstring>
#include <string>

// Ünïcode in comments: café — 😀.
void copy_name(char *dst, const std::string &src)
{
    std::strcpy(dst, src.c_str());
    std::string copy = src;
    std::snprintf(dst, 32, "%s", copy.c_str());
    sprintf(dst, "%s", src.c_str());
}
