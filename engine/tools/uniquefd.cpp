#include "tools/uniquefd.h"

#include <unistd.h>

namespace Spool {

void UniqueFd::reset(int fd)
{
    if (m_fd >= 0)
        ::close(m_fd); // never retried on EINTR: on Linux the descriptor is gone either way
    m_fd = fd;
}

} // namespace Spool
