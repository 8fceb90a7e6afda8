# Keep-alive POSTs of one body on one connection, each read to its end;
# a response that is not 200 ends the run (counting denials would measure
# another path).  With KEYS, request i carries "X-Team: team-(i % KEYS)"
# (token budget keys).
#
# usage: perl client.pl PORT FILE N [KEYS [PATH]]
use strict;
use warnings;
use IO::Socket::INET;

my ($port, $file, $n, $keys, $path) = @ARGV;
$path //= '/openai/deployments/chat-prod/chat/completions'
    . '?api-version=2024-10-21';
open my $f, '<', $file or die "$file: $!";
my $body = do { local $/; <$f> };
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die $!;

for my $i (1 .. $n) {
    print $s "POST $path HTTP/1.1\r\nHost: bench\r\n"
        . "Content-Type: application/json\r\n"
        . (defined $keys ? "X-Team: team-" . ($i % $keys) . "\r\n" : '')
        . "Content-Length: " . length($body) . "\r\n\r\n$body";
    my $buf = '';
    while ($buf !~ /\r\n\r\n/) {
        sysread($s, $buf, 65536, length $buf) or die "closed";
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    $head =~ /^HTTP\/1.1 200/ or die "not 200: $head";
    my ($len) = $head =~ /Content-Length: (\d+)/i;
    while (length $rest < $len) {
        sysread($s, $rest, 65536, length $rest) or die "closed";
    }
}
