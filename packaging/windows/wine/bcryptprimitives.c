/*
 * bcryptprimitives.dll for Wine 8, which lacks it: Go >= 1.24 reads its
 * random numbers from ProcessPrng. This stand-in forwards to RtlGenRandom
 * (advapi32 SystemFunction036). Only for the Windows service test under
 * Wine (packaging/test-windows-service.sh), which builds it with mingw;
 * never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
