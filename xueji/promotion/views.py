from django.http import Http404

def index(request):
    raise Http404

def school_report(request, pk):
    raise Http404
